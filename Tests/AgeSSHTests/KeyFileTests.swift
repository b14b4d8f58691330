import AgeFormat
import Foundation
import TestSupport
import XCTest
@testable import AgeSSH

/// Key files written by the real ssh-keygen at test time: every format age accepts for ssh
/// identities, what each looks like to a user (authorized-key line, fingerprint), and each
/// way reading one can fail.
final class KeyFileTests: XCTestCase {
    var directory: TempDirectory!

    override func setUpWithError() throws { directory = try TempDirectory("agessh") }
    override func tearDown() { directory.remove() }

    /// Parses `key`, checks its public face against ssh-keygen's, and round-trips a file key
    /// through the recipient parsed from the `.pub` line.
    private func assertUsable(_ key: GeneratedKey, expectPrompt: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        var prompts = 0
        let identity = try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: {
            prompts += 1
            return Array(key.passphrase!.utf8)
        })
        XCTAssertEqual(prompts, expectPrompt ? 1 : 0, "passphrase prompts", file: file, line: line)
        let recipient = try SSHKeys.recipient(fromAuthorizedKey: key.publicLine)

        let identityKey = try XCTUnwrap(identity as? SSHPublicKeyHolder, file: file, line: line).publicKey
        let recipientKey = try XCTUnwrap(recipient as? SSHPublicKeyHolder, file: file, line: line).publicKey
        XCTAssertEqual(recipientKey.authorizedKey, key.publicLine, file: file, line: line)
        XCTAssertEqual(recipientKey.fingerprint, try key.sshKeygenFingerprint(), file: file, line: line)
        XCTAssertEqual(identityKey.wireBytes, recipientKey.wireBytes, file: file, line: line)
        XCTAssertEqual(identityKey.fingerprint, recipientKey.fingerprint, file: file, line: line)

        let fileKey = FileKey.random()
        XCTAssertEqual(try identity.unwrap(try recipient.wrap(fileKey)), fileKey, file: file, line: line)
        let plaintext = randomBytes(70_000)
        XCTAssertEqual(try Age.decrypt(try Age.encrypt(plaintext, to: [recipient], armor: true), with: [identity]), plaintext,
                       file: file, line: line)
    }

    func testEd25519Unencrypted() throws {
        let key = try SSHKeygen.generate("ed25519", in: directory)
        try assertUsable(key, expectPrompt: false)
        let identity = try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: noPassphraseExpected())
        XCTAssertEqual((identity as? SSHPublicKeyHolder)?.publicKey.authorizedKey, key.publicLine, "comment comes from the private section")
        XCTAssertTrue(identity is SSHEd25519Identity)
    }

    func testRSA2048And3072Unencrypted() throws {
        for bits in [2048, 3072] {
            let key = try SSHKeygen.generate("rsa", in: directory, extra: ["-b", "\(bits)"])
            try assertUsable(key, expectPrompt: false)
            let recipient = try XCTUnwrap(SSHKeys.recipient(fromAuthorizedKey: key.publicLine) as? SSHRSARecipient)
            XCTAssertEqual(recipient.bitCount, bits)
            XCTAssertEqual(try recipient.wrap(FileKey.random())[0].body.count, bits / 8)
        }
    }

    func testPassphraseProtectedKeys() throws {
        for (type, extra) in [("ed25519", [String]()), ("rsa", ["-b", "2048"]), ("ed25519", ["-Z", "aes256-cbc"]), ("ed25519", ["-Z", "aes128-ctr"])] {
            let key = try SSHKeygen.generate(type, in: directory, passphrase: SSHKeygen.randomPassphrase(), extra: extra)
            try assertUsable(key, expectPrompt: true)
        }
    }

    func testWrongPassphraseIsItsOwnErrorAndAskedOnce() throws {
        let key = try SSHKeygen.generate("ed25519", in: directory, passphrase: SSHKeygen.randomPassphrase())
        var prompts = 0
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: {
            prompts += 1
            return Array("not the passphrase".utf8)
        })) { XCTAssertEqual($0 as? SSHKeyError, .wrongPassphrase) }
        XCTAssertEqual(prompts, 1, "never retried")
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: { [] })) {
            XCTAssertEqual($0 as? SSHKeyError, .wrongPassphrase)
        }
        // An error from the prompt itself (no terminal, cancelled) passes through unchanged.
        struct Cancelled: Error {}
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: { throw Cancelled() })) {
            XCTAssertTrue($0 is Cancelled)
        }
    }

    func testPEMRSA() throws {
        let key = try SSHKeygen.generate("rsa", in: directory, extra: ["-b", "2048", "-m", "PEM"])
        XCTAssertTrue(String(decoding: key.privateKey, as: UTF8.self).hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let identity = try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: noPassphraseExpected())
        XCTAssertTrue(identity is SSHRSAIdentity)
        let recipient = try SSHKeys.recipient(fromAuthorizedKey: key.publicLine)
        let fileKey = FileKey.random()
        XCTAssertEqual(try identity.unwrap(try recipient.wrap(fileKey)), fileKey)
    }

    func testLegacyEncryptedPEMIsRefusedWithAHint() throws {
        let key = try SSHKeygen.generate("rsa", in: directory, passphrase: SSHKeygen.randomPassphrase(), extra: ["-b", "2048", "-m", "PEM"])
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: noPassphraseExpected())) {
            XCTAssertEqual($0 as? SSHKeyError, .legacyEncryptedPEM)
        }
    }

    func testUnsupportedCipherNeverPrompts() throws {
        let key = try SSHKeygen.generate("ed25519", in: directory, passphrase: SSHKeygen.randomPassphrase(),
                                         extra: ["-Z", "chacha20-poly1305@openssh.com"])
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: noPassphraseExpected())) {
            XCTAssertEqual($0 as? SSHKeyError, .unsupportedCipher("chacha20-poly1305@openssh.com"))
        }
    }

    func testUnsupportedKeyTypesAreNamed() throws {
        let ecdsa = try SSHKeygen.generate("ecdsa", in: directory, passphrase: SSHKeygen.randomPassphrase())
        XCTAssertThrowsError(try SSHKeys.recipient(fromAuthorizedKey: ecdsa.publicLine)) {
            XCTAssertEqual($0 as? SSHKeyError, .unsupportedKeyType("ecdsa-sha2-nistp256"))
        }
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: ecdsa.privateKey, passphrase: noPassphraseExpected())) {
            XCTAssertEqual($0 as? SSHKeyError, .unsupportedKeyType("ecdsa-sha2-nistp256"))
        }
        let sk = "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIE= me"
        XCTAssertThrowsError(try SSHKeys.recipient(fromAuthorizedKey: sk)) {
            XCTAssertEqual($0 as? SSHKeyError, .unsupportedKeyType("sk-ssh-ed25519@openssh.com"))
            XCTAssertTrue("\($0)".contains("sk-ssh-ed25519@openssh.com is not supported"))
        }
        // Something that is not an SSH key at all is not echoed back (it might be a pasted secret).
        XCTAssertThrowsError(try SSHKeys.recipient(fromAuthorizedKey: "AGE-SECRET-KEY-1QQQQ")) {
            XCTAssertEqual($0 as? SSHKeyError, .malformedKey("not an SSH public key: expected a line like 'ssh-ed25519 AAAA… comment'"))
            XCTAssertFalse("\($0)".contains("QQQQ"))
        }
        // The line's type and the key inside must agree.
        let ed = try SSHKeygen.generate("ed25519", in: directory)
        let lying = "ssh-rsa " + ed.publicLine.split(separator: " ")[1]
        XCTAssertThrowsError(try SSHKeys.recipient(fromAuthorizedKey: lying)) {
            XCTAssertEqual($0 as? SSHKeyError, .malformedKey("the line says ssh-rsa but the key inside is ssh-ed25519"))
        }
    }

    func testSmallRSAKeysAreRefused() throws {
        let key = try SSHKeygen.generate("rsa", in: directory, extra: ["-b", "1024"])
        XCTAssertThrowsError(try SSHKeys.recipient(fromAuthorizedKey: key.publicLine)) {
            XCTAssertEqual($0 as? SSHKeyError, .rsaKeyTooSmall(bits: 1024))
        }
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: key.privateKey, passphrase: noPassphraseExpected())) {
            XCTAssertEqual($0 as? SSHKeyError, .rsaKeyTooSmall(bits: 1024))
        }
    }

    func testTruncatedKeys() throws {
        let key = try SSHKeygen.generate("ed25519", in: directory)
        let text = String(decoding: key.privateKey, as: UTF8.self)
        // Cut before the END line.
        let cut = Array(text.utf8.prefix(text.utf8.count / 2))
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: cut, passphrase: noPassphraseExpected())) {
            XCTAssertEqual($0 as? SSHKeyError, .malformedKey("the OPENSSH PRIVATE KEY block has no END line: the file is truncated"))
        }
        // A complete PEM frame around a truncated key.
        let body = try PEMBlock(key.privateKey).body
        let short = pem("OPENSSH PRIVATE KEY", Array(body.prefix(body.count - 60)))
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: short, passphrase: noPassphraseExpected())) {
            guard case .malformedKey(let why) = $0 as? SSHKeyError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.hasPrefix("OpenSSH private key: truncated while reading"), why)
        }
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: Array("not a key\n".utf8), passphrase: noPassphraseExpected())) {
            XCTAssertEqual($0 as? SSHKeyError, .malformedKey("no -----BEGIN …----- line: this is not a PEM private key file"))
        }
    }

    func testEmbeddedPublicKeyMustMatch() throws {
        let a = try SSHKeygen.generate("ed25519", in: directory)
        let b = try SSHKeygen.generate("ed25519", in: directory)
        // Rebuild a's file with b's public key in the clear part.
        let aBody = try PEMBlock(a.privateKey).body, bBody = try PEMBlock(b.privateKey).body
        func split(_ body: [UInt8]) throws -> (head: [UInt8], publicKey: [UInt8], rest: [UInt8]) {
            var r = SSHWireReader(Array(body.dropFirst(15)), context: "test")
            for _ in 0..<3 { _ = try r.readString("") }
            _ = try r.readUInt32("")
            let start = 15 + r.offset
            let pub = try r.readString("")
            return (Array(body[..<start]), pub, Array(body[(15 + r.offset)...]))
        }
        let (head, _, rest) = try split(aBody)
        var w = SSHWireWriter(); w.writeString(try split(bBody).publicKey)
        let spliced = pem("OPENSSH PRIVATE KEY", head + w.bytes + rest)
        XCTAssertThrowsError(try SSHKeys.identity(fromPrivateKey: spliced, passphrase: noPassphraseExpected())) {
            XCTAssertEqual($0 as? SSHKeyError, .mismatchedPublicKey)
        }
    }

    func testWrongKeyIsNotMineAndTamperedRSAStanzaFails() throws {
        let a = try SSHKeygen.generate("rsa", in: directory, extra: ["-b", "2048"])
        let b = try SSHKeygen.generate("rsa", in: directory, extra: ["-b", "2048"])
        let identityA = try SSHKeys.identity(fromPrivateKey: a.privateKey, passphrase: noPassphraseExpected())
        let stanzasForB = try SSHKeys.recipient(fromAuthorizedKey: b.publicLine).wrap(FileKey.random())
        XCTAssertNil(try identityA.unwrap(stanzasForB))

        var stanza = try SSHKeys.recipient(fromAuthorizedKey: a.publicLine).wrap(FileKey.random())[0]
        XCTAssertEqual(stanza.arguments.count, 1)
        var flipped = stanza; flipped.body[100] ^= 0x40
        var short = stanza; short.body.removeLast()
        var tooBig = stanza; tooBig.body = [UInt8](repeating: 0xFF, count: stanza.body.count)
        for bad in [flipped, short, tooBig] {
            XCTAssertThrowsError(try identityA.unwrap([bad])) {
                XCTAssertEqual($0 as? SSHKeyError, .unwrapFailed(keyType: "ssh-rsa"))
            }
        }
        stanza.arguments.append("extra")
        XCTAssertThrowsError(try identityA.unwrap([stanza])) {
            XCTAssertEqual($0 as? AgeError, .malformedStanza("ssh-rsa stanza has 2 arguments, want 1"))
        }
    }

    func testEd25519WrongKeyIsNotMine() throws {
        let a = try SSHKeygen.generate("ed25519", in: directory)
        let b = try SSHKeygen.generate("ed25519", in: directory)
        let identityA = try SSHKeys.identity(fromPrivateKey: a.privateKey, passphrase: noPassphraseExpected())
        XCTAssertNil(try identityA.unwrap(try SSHKeys.recipient(fromAuthorizedKey: b.publicLine).wrap(FileKey.random())))
        let file = try Age.encrypt([1, 2, 3], to: [try SSHKeys.recipient(fromAuthorizedKey: b.publicLine)], armor: false)
        XCTAssertThrowsError(try Age.decrypt(file, with: [identityA])) {
            XCTAssertEqual($0 as? AgeError, .noMatchingIdentity(stanzaTypes: ["ssh-ed25519"]))
        }
    }

    func testLazyIdentityPromptsOnlyForItsOwnStanzas() throws {
        let passphrase = SSHKeygen.randomPassphrase()
        let key = try SSHKeygen.generate("ed25519", in: directory, passphrase: passphrase)
        let other = try SSHKeygen.generate("ed25519", in: directory)
        var prompts = 0
        let identity = try SSHKeys.lazyIdentity(fromPrivateKey: key.privateKey, passphrase: {
            prompts += 1
            return Array(passphrase.utf8)
        })
        XCTAssertEqual((identity as? SSHPublicKeyHolder)?.publicKey.fingerprint, try key.sshKeygenFingerprint())
        XCTAssertNil(try identity.unwrap(try SSHKeys.recipient(fromAuthorizedKey: other.publicLine).wrap(FileKey.random())))
        XCTAssertEqual(prompts, 0)
        for _ in 0..<2 {
            let fileKey = FileKey.random()
            XCTAssertEqual(try identity.unwrap(try SSHKeys.recipient(fromAuthorizedKey: key.publicLine).wrap(fileKey)), fileKey)
        }
        XCTAssertEqual(prompts, 1, "decrypted once, then kept")
    }

    func testIsPrivateKey() throws {
        let ed = try SSHKeygen.generate("ed25519", in: directory)
        let pemKey = try SSHKeygen.generate("rsa", in: directory, extra: ["-b", "2048", "-m", "PEM"])
        XCTAssertTrue(SSHKeys.isPrivateKey(ed.privateKey))
        XCTAssertTrue(SSHKeys.isPrivateKey(pemKey.privateKey))
        XCTAssertFalse(SSHKeys.isPrivateKey(Array(ed.publicLine.utf8)))
        XCTAssertFalse(SSHKeys.isPrivateKey(Array("# created: 2026-01-01\nAGE-SECRET-KEY-1…\n".utf8)))
        XCTAssertFalse(SSHKeys.isPrivateKey([]))
    }

    /// The header is found after the whitespace Foundation's trim skips (ASCII read as bytes,
    /// Unicode's spaces through the trim itself), within the first 64 bytes: the same answers
    /// as the trim of the whole window, which it replaced.
    func testIsPrivateKeyAfterLeadingWhitespaceAnswersAsTheTrimDid() {
        func trimmed(_ data: [UInt8]) -> Bool {
            let head = String(decoding: data.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return ["OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"].contains { head.hasPrefix("-----BEGIN \($0)-----") }
        }
        let markers = ["-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n", "-----BEGIN ENCRYPTED PRIVATE KEY-----", "-----BEGIN PRIVATE KEY", "ssh-ed25519 AAAA"]
        let leads = ["", " ", "\n\n", "\t \r\n", "\u{0B}\u{0C}", "\u{00A0}", "\u{2003}\n", "\u{3000}", "\u{0085}", "\u{200B}", "\u{FEFF}",
                     "x", "#", String(repeating: " ", count: 27), String(repeating: " ", count: 28), "\u{FF}"]
        var found = 0
        for marker in markers {
            for lead in leads {
                let bytes = Array((lead + marker).utf8)
                XCTAssertEqual(SSHKeys.isPrivateKey(bytes), trimmed(bytes), "lead \(Array(lead.unicodeScalars).prefix(3)), \(marker.prefix(20))")
                if trimmed(bytes) { found += 1 }
            }
        }
        XCTAssertGreaterThan(found, 20)
        XCTAssertFalse(SSHKeys.isPrivateKey(Array("   \n\t".utf8)))
        XCTAssertFalse(SSHKeys.isPrivateKey([0xFF, 0xFE] + Array("-----BEGIN PRIVATE KEY-----".utf8)))
    }

    private func pem(_ label: String, _ body: [UInt8]) -> [UInt8] {
        let base64 = Data(body).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return Array("-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n".utf8)
    }
}
