import Foundation
import TestSupport
import XCTest

/// ssh-ed25519 and ssh-rsa files between keyrack and Debian's `age` 1.1.1, both directions,
/// binary and armored, at the chunk-boundary sizes, with keys made by `ssh-keygen` at test time:
/// unencrypted and passphrase-protected (OpenSSH format, bcrypt_pbkdf + aes256-ctr), plus a PEM
/// PKCS#1 RSA key. Both programs read a key's passphrase only from /dev/tty, so those runs go
/// through a pseudo-terminal (`TerminalRun`, shared with the scrypt interop tests).
final class SSHInteropTests: XCTestCase {
    struct Key {
        let name: String
        let path: String
        let publicLine: String
        let passphrase: String?
    }

    var dir: TempDirectory!
    let sizes = [0, 1, 65535, 65536, 65537, 3 * 1024 * 1024 + 5]

    override func setUpWithError() throws {
        dir = try TempDirectory("ssh-interop")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Run.keyrackBinary), "build keyrack first: \(Run.keyrackBinary)")
        let age = try Run.process("age", ["--version"])
        XCTAssertEqual(age.status, 0, "Debian's age must be installed (scripts/install-deps): \(age)")
    }

    override func tearDown() { dir?.remove() }

    private func ok(_ r: RunResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, "\(what): \(r)", file: file, line: line)
    }

    /// A fresh key from ssh-keygen; a random passphrase when `protected`.
    private func sshKeygen(_ type: String, protected: Bool = false, extra: [String] = []) throws -> Key {
        let name = "\(type)\(protected ? "-enc" : "")-\(UUID().uuidString.prefix(6))"
        let path = dir.file(name).path
        let passphrase = protected ? "pw-" + randomBytes(9).map { String(format: "%02x", $0) }.joined() : nil
        let made = try Run.process("ssh-keygen", ["-q", "-t", type, "-N", passphrase ?? "", "-C", "\(name)@keyrack-test", "-f", path] + extra)
        ok(made, "ssh-keygen -t \(type)")
        let line = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return Key(name: name, path: path, publicLine: line, passphrase: passphrase)
    }

    /// Runs a decryption or encryption, through a terminal when the key has a passphrase. Returns
    /// the exit status and everything the program said.
    private func run(_ executable: String, _ arguments: [String], key: Key) throws -> (status: Int32, output: String) {
        if let passphrase = key.passphrase {
            let r = try TerminalRun.run(executable, arguments, answers: [("passphrase", passphrase)])
            XCTAssertFalse(r.transcript.contains(passphrase), "the passphrase must never be echoed")
            return (r.status, r.transcript)
        }
        let r = try Run.process(executable, arguments)
        return (r.status, r.description)
    }

    /// age encrypts to the key's .pub line, keyrack decrypts with the private key.
    private func ageToKeyrack(_ key: Key) throws {
        for size in sizes {
            let plain = try dir.write("p\(size)", randomBytes(size))
            for armor in [false, true] {
                let sealed = dir.file("\(key.name)-age-\(size)-\(armor).age").path
                ok(try Run.process("age", ["-r", key.publicLine, "-o", sealed] + (armor ? ["-a"] : []) + [plain.path]), "age -r \(key.name)")
                let header = String(decoding: try dir.read("\(key.name)-age-\(size)-\(armor).age").prefix(80), as: UTF8.self)
                if !armor { XCTAssertTrue(header.contains("-> \(key.publicLine.prefix(while: { $0 != " " })) "), header) }

                let out = dir.file("\(key.name)-kr-out-\(size)-\(armor)").path
                let dec = try run(Run.keyrackBinary, ["age", "decrypt", "-i", key.path, "-o", out, sealed], key: key)
                XCTAssertEqual(dec.status, 0, "keyrack decrypt (\(key.name), size \(size), armor \(armor)): \(dec.output)")
                XCTAssertTrue(try dir.read("\(key.name)-kr-out-\(size)-\(armor)") == (try dir.read("p\(size)")),
                              "\(key.name) size \(size) armor \(armor)")
            }
        }
    }

    /// keyrack encrypts to the key's line (-r), age decrypts with the private key.
    private func keyrackToAge(_ key: Key) throws {
        for size in sizes {
            let plain = try dir.write("p\(size)", randomBytes(size))
            for armor in [false, true] {
                let sealed = dir.file("\(key.name)-kr-\(size)-\(armor).age").path
                ok(try Run.keyrack(["age", "encrypt", "-r", key.publicLine, "-o", sealed] + (armor ? ["-a"] : []) + [plain.path]),
                   "keyrack encrypt -r \(key.name)")
                let bytes = try dir.read("\(key.name)-kr-\(size)-\(armor).age")
                XCTAssertEqual(String(decoding: bytes.prefix(10), as: UTF8.self), armor ? "-----BEGIN" : "age-encryp")

                let out = dir.file("\(key.name)-age-out-\(size)-\(armor)").path
                let dec = try run("age", ["-d", "-i", key.path, "-o", out, sealed], key: key)
                XCTAssertEqual(dec.status, 0, "age -d (\(key.name), size \(size), armor \(armor)): \(dec.output)")
                // age 1.1.1 opens -o lazily, at the first plaintext byte: an empty file leaves no output.
                let decrypted = size == 0 && !FileManager.default.fileExists(atPath: out) ? [] : try dir.read("\(key.name)-age-out-\(size)-\(armor)")
                XCTAssertTrue(decrypted == (try dir.read("p\(size)")), "\(key.name) size \(size) armor \(armor)")
            }
        }
    }

    // MARK: unencrypted keys

    func testEd25519AgeToKeyrack() throws { try ageToKeyrack(try sshKeygen("ed25519")) }
    func testEd25519KeyrackToAge() throws { try keyrackToAge(try sshKeygen("ed25519")) }
    func testRSAAgeToKeyrack() throws { try ageToKeyrack(try sshKeygen("rsa", extra: ["-b", "3072"])) }
    func testRSAKeyrackToAge() throws { try keyrackToAge(try sshKeygen("rsa", extra: ["-b", "2048"])) }

    // MARK: passphrase-protected keys (typed on a pseudo-terminal)

    func testProtectedEd25519AgeToKeyrack() throws { try ageToKeyrack(try sshKeygen("ed25519", protected: true)) }
    func testProtectedEd25519KeyrackToAge() throws { try keyrackToAge(try sshKeygen("ed25519", protected: true)) }
    func testProtectedRSAAgeToKeyrack() throws { try ageToKeyrack(try sshKeygen("rsa", protected: true, extra: ["-b", "2048"])) }
    func testProtectedRSAKeyrackToAge() throws { try keyrackToAge(try sshKeygen("rsa", protected: true, extra: ["-b", "3072"])) }

    // MARK: other ways in

    /// `-R key.pub` and `-i key` (the recipient derived from the private key) both encrypt to the
    /// same key; for a protected key, -i needs no passphrase (the public key is stored in the
    /// clear), so this runs without a terminal at all.
    func testRecipientsFileAndIdentityFileEncryption() throws {
        let key = try sshKeygen("ed25519", protected: true)
        let pub = key.path + ".pub"
        let plain = try dir.write("plain", randomBytes(1000))
        for (flags, name) in [(["-R", pub], "viaR"), (["-i", key.path], "viaI")] {
            let sealed = dir.file("\(name).age").path
            ok(try Run.keyrack(["age", "encrypt"] + flags + ["-o", sealed, plain.path]), "keyrack encrypt \(flags)")
            let out = dir.file("\(name).out").path
            let dec = try run("age", ["-d", "-i", key.path, "-o", out, sealed], key: key)
            XCTAssertEqual(dec.status, 0, dec.output)
            XCTAssertTrue(try dir.read("\(name).out") == (try dir.read("plain")))
        }
    }

    /// ssh-keygen -m PEM writes PKCS#1 (`BEGIN RSA PRIVATE KEY`); age reads it, so must keyrack.
    func testPEMRSAKeyBothWays() throws {
        let key = try sshKeygen("rsa", extra: ["-b", "2048", "-m", "PEM"])
        XCTAssertTrue(String(decoding: try dir.read(key.name).prefix(31), as: UTF8.self) == "-----BEGIN RSA PRIVATE KEY-----")
        let plain = try dir.write("plain", randomBytes(70_000))
        let byAge = dir.file("byAge.age").path
        ok(try Run.process("age", ["-R", key.path + ".pub", "-a", "-o", byAge, plain.path]), "age -R")
        let mine = try Run.keyrack(["age", "decrypt", "-i", key.path, byAge])
        ok(mine, "keyrack decrypt PEM")
        XCTAssertTrue(mine.stdout == (try dir.read("plain")))
        let byKeyrack = dir.file("byKeyrack.age").path
        ok(try Run.keyrack(["age", "encrypt", "-r", key.publicLine, "-o", byKeyrack, plain.path]), "keyrack encrypt")
        let theirs = try Run.process("age", ["-d", "-i", key.path, byKeyrack])
        ok(theirs, "age -d PEM")
        XCTAssertTrue(theirs.stdout == (try dir.read("plain")))
    }

    // MARK: failures, as the user sees them

    func testWrongPassphraseIsNamedAndNotRetried() throws {
        let key = try sshKeygen("ed25519", protected: true)
        let plain = try dir.write("plain", Array("manifest".utf8))
        let sealed = dir.file("s.age").path
        ok(try Run.process("age", ["-r", key.publicLine, "-o", sealed, plain.path]), "age -r")
        let out = dir.file("out").path
        let wrong = try TerminalRun.run(Run.keyrackBinary, ["age", "decrypt", "-i", key.path, "-o", out, sealed],
                                        answers: [("passphrase", key.passphrase! + "x")])
        XCTAssertEqual(wrong.status, 1, wrong.transcript)
        XCTAssertTrue(wrong.transcript.contains("wrong passphrase for the SSH private key"), wrong.transcript)
        XCTAssertEqual(wrong.transcript.components(separatedBy: "passphrase for ssh key").count - 1, 1, "asked once: \(wrong.transcript)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// A protected key whose stanza is not in the file is never unlocked: no prompt, so no
    /// terminal needed, and the error is age's "no identity matched".
    func testProtectedKeyNotAskedForOtherKeysFiles() throws {
        let protected = try sshKeygen("ed25519", protected: true)
        let other = try sshKeygen("ed25519")
        let sealed = dir.file("other.age").path
        ok(try Run.process("age", ["-r", other.publicLine, "-o", sealed], stdin: [1, 2, 3]), "age -r other")
        let r = try Run.keyrack(["age", "decrypt", "-i", protected.path, sealed])
        XCTAssertEqual(r.status, 1, r.description)
        XCTAssertTrue(r.err.contains("no identity matched"), r.err)
        XCTAssertFalse(r.err.contains("terminal"), "must not have tried to prompt: \(r.err)")
    }

    func testUnsupportedKeyTypeIsNamed() throws {
        let key = try sshKeygen("ecdsa")
        let r = try Run.keyrack(["age", "encrypt", "-r", key.publicLine], stdin: [1])
        XCTAssertEqual(r.status, 2, "a bad -r is a usage error: \(r)")
        XCTAssertTrue(r.err.contains("ecdsa-sha2-nistp256 is not supported"), r.err)
        let d = try Run.keyrack(["age", "decrypt", "-i", key.path], stdin: [1])
        XCTAssertEqual(d.status, 1, d.description)
        XCTAssertTrue(d.err.contains("ecdsa-sha2-nistp256 is not supported"), d.err)
    }

    func testTamperedStanzaFails() throws {
        let key = try sshKeygen("rsa", extra: ["-b", "2048"])
        let sealed = dir.file("t.age").path
        ok(try Run.process("age", ["-r", key.publicLine, "-o", sealed], stdin: Array("hello".utf8)), "age -r")
        var bytes = try dir.read("t.age")
        // Flip one base64 character of the stanza body (line 3 of the header).
        let newlines = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }
        let position = newlines[1] + 10
        bytes[position] = bytes[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let tampered = try dir.write("tampered.age", bytes)
        let r = try Run.keyrack(["age", "decrypt", "-i", key.path, tampered.path])
        XCTAssertEqual(r.status, 1, r.description)
        XCTAssertTrue(r.err.contains("failed to decrypt the file key from the ssh-rsa stanza"), r.err)
        XCTAssertTrue(r.stdout.isEmpty)
    }
}
