import AgeFormat
import Foundation
import TestSupport
import XCTest
@testable import AgeSSH

/// ssh-ed25519 and ssh-rsa files between AgeSSH and Debian's `age` 1.1.1, both directions, binary
/// and armored, at the chunk-boundary sizes, with keys made by `ssh-keygen` at test time:
/// unencrypted and passphrase-protected (OpenSSH format), plus a PEM PKCS#1 RSA key. `age` reads
/// a key's passphrase only from /dev/tty, so its runs with a protected key go through a
/// pseudo-terminal (`TerminalRun`). (Moved in-process from CLITests/SSHInteropTests.)
final class AgeBinaryInteropTests: XCTestCase {
    var dir: TempDirectory!
    let sizes = [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 5]

    override func setUpWithError() throws { dir = try TempDirectory("ssh-age") }
    override func tearDown() { dir?.remove() }

    private func key(_ type: String, protected: Bool = false, extra: [String] = []) throws -> GeneratedKey {
        try SSHKeygen.generate(type, in: dir, passphrase: protected ? SSHKeygen.randomPassphrase() : nil, extra: extra)
    }

    /// The identity as `keyrack age decrypt -i` reads it (lazily), counting passphrase prompts.
    private final class Prompts { var count = 0 }
    private func identity(_ key: GeneratedKey, prompts: Prompts = Prompts()) throws -> any Identity {
        try SSHKeys.lazyIdentity(fromPrivateKey: key.privateKey, passphrase: {
            prompts.count += 1
            return Array((key.passphrase ?? "").utf8)
        })
    }

    /// Runs `age`, through a terminal when the key has a passphrase (which must never be echoed).
    private func runAge(_ arguments: [String], key: GeneratedKey) throws -> (status: Int32, output: String) {
        if let passphrase = key.passphrase {
            let r = try TerminalRun.run("age", arguments, answers: [("passphrase", passphrase)])
            XCTAssertFalse(r.transcript.contains(passphrase), "the passphrase must never be echoed")
            return (r.status, r.transcript)
        }
        let r = try Run.process("age", arguments)
        return (r.status, r.description)
    }

    /// age encrypts to the key's .pub line, AgeSSH decrypts with the private key (asked once).
    private func ageToUs(_ key: GeneratedKey) throws {
        for size in sizes {
            let plain = randomBytes(size)
            let input = try dir.write("p\(size)", plain)
            for armor in [false, true] {
                let r = try Run.process("age", ["-r", key.publicLine] + (armor ? ["-a"] : []) + [input.path])
                XCTAssertEqual(r.status, 0, r.description)
                if !armor {
                    let header = String(decoding: r.stdout.prefix(80), as: UTF8.self)
                    XCTAssertTrue(header.contains("-> \(key.publicLine.prefix(while: { $0 != " " })) "), header)
                }
                let prompts = Prompts()
                let opened = try Age.decrypt(r.stdout, with: [try identity(key, prompts: prompts)])
                XCTAssertEqual(opened, plain, "size \(size) armor \(armor)")
                XCTAssertEqual(prompts.count, key.passphrase == nil ? 0 : 1, "passphrase prompts")
            }
        }
    }

    /// AgeSSH encrypts to the key's line, age decrypts with the private key.
    private func usToAge(_ key: GeneratedKey) throws {
        let recipient = try SSHKeys.recipient(fromAuthorizedKey: key.publicLine)
        for size in sizes {
            let plain = randomBytes(size)
            for armor in [false, true] {
                let file = try Age.encrypt(plain, to: [recipient], armor: armor)
                XCTAssertEqual(String(decoding: file.prefix(10), as: UTF8.self), armor ? "-----BEGIN" : "age-encryp")
                let sealed = try dir.write("s\(size)\(armor).age", file)
                let out = dir.file("o\(size)\(armor)").path
                let dec = try runAge(["-d", "-i", key.path, "-o", out, sealed.path], key: key)
                XCTAssertEqual(dec.status, 0, "age -d (size \(size), armor \(armor)): \(dec.output)")
                // age 1.1.1 opens -o lazily, at the first plaintext byte: an empty file leaves no output.
                let decrypted = size == 0 && !FileManager.default.fileExists(atPath: out) ? [] : try dir.read("o\(size)\(armor)")
                XCTAssertEqual(decrypted, plain, "size \(size) armor \(armor)")
            }
        }
    }

    func testEd25519AgeToUs() throws { try ageToUs(try key("ed25519")) }
    func testEd25519UsToAge() throws { try usToAge(try key("ed25519")) }
    func testRSAAgeToUs() throws { try ageToUs(try key("rsa", extra: ["-b", "3072"])) }
    func testRSAUsToAge() throws { try usToAge(try key("rsa", extra: ["-b", "2048"])) }
    func testProtectedEd25519AgeToUs() throws { try ageToUs(try key("ed25519", protected: true)) }
    func testProtectedEd25519UsToAge() throws { try usToAge(try key("ed25519", protected: true)) }
    func testProtectedRSAAgeToUs() throws { try ageToUs(try key("rsa", protected: true, extra: ["-b", "2048"])) }
    func testProtectedRSAUsToAge() throws { try usToAge(try key("rsa", protected: true, extra: ["-b", "3072"])) }

    /// ssh-keygen -m PEM writes PKCS#1 (`BEGIN RSA PRIVATE KEY`); age reads it, so must we.
    func testPEMRSAKeyBothWays() throws {
        let key = try key("rsa", extra: ["-b", "2048", "-m", "PEM"])
        XCTAssertTrue(String(decoding: key.privateKey.prefix(31), as: UTF8.self) == "-----BEGIN RSA PRIVATE KEY-----")
        let plain = try dir.write("plain", randomBytes(70_000))
        let byAge = try Run.process("age", ["-R", key.path + ".pub", "-a", plain.path])
        XCTAssertEqual(byAge.status, 0, byAge.description)
        XCTAssertEqual(try Age.decrypt(byAge.stdout, with: [try identity(key)]), try dir.read("plain"))
        let ours = try dir.write("ours.age", try Age.encrypt(try dir.read("plain"), to: [try SSHKeys.recipient(fromAuthorizedKey: key.publicLine)], armor: false))
        let theirs = try Run.process("age", ["-d", "-i", key.path, ours.path])
        XCTAssertEqual(theirs.status, 0, theirs.description)
        XCTAssertEqual(theirs.stdout, try dir.read("plain"))
    }

    /// A protected key whose stanza is not in the file is never unlocked (no prompt), and the
    /// error is age's "no identity matched".
    func testProtectedKeyNotAskedForOtherKeysFiles() throws {
        let protected = try key("ed25519", protected: true), other = try key("ed25519")
        let r = try Run.process("age", ["-r", other.publicLine], stdin: [1, 2, 3])
        XCTAssertEqual(r.status, 0, r.description)
        let prompts = Prompts()
        XCTAssertThrowsError(try Age.decrypt(r.stdout, with: [try identity(protected, prompts: prompts)])) {
            XCTAssertEqual($0 as? AgeError, .noMatchingIdentity(stanzaTypes: ["ssh-ed25519"]))
            XCTAssertTrue("\($0)".contains("no identity matched"))
        }
        XCTAssertEqual(prompts.count, 0, "must not have asked for the passphrase")
    }

    /// One flipped character in age's ssh-rsa stanza body: the unwrap fails loudly, no plaintext.
    func testTamperedStanzaFails() throws {
        let key = try key("rsa", extra: ["-b", "2048"])
        let r = try Run.process("age", ["-r", key.publicLine], stdin: Array("hello".utf8))
        XCTAssertEqual(r.status, 0, r.description)
        var bytes = r.stdout
        // Flip one base64 character of the stanza body (line 3 of the header).
        let newlines = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }
        let position = newlines[1] + 10
        bytes[position] = bytes[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let sink = BytesSink()
        XCTAssertThrowsError(try AgeDecryptor(input: BytesSource(bytes), identities: [try identity(key)]).decrypt(to: sink)) {
            XCTAssertEqual($0 as? SSHKeyError, .unwrapFailed(keyType: "ssh-rsa"))
            XCTAssertTrue("\($0)".contains("failed to decrypt the file key from the ssh-rsa stanza"), "\($0)")
        }
        XCTAssertTrue(sink.bytes.isEmpty)
    }
}
