import Foundation
import TestSupport
import XCTest

/// `keyrack age` with ssh keys made by `ssh-keygen` at test time, against Debian's `age` 1.1.1 end
/// to end: one file each way (a protected key typed on a pseudo-terminal, `TerminalRun`). -R/-i
/// encryption, a wrong passphrase and an unsupported key are KeyrackAppTests/Age/AgeSSHKeyTests;
/// every key kind both ways at the chunk-boundary sizes, the PEM key, lazy unlocking and a
/// tampered stanza are AgeSSHTests/AgeBinaryInteropTests, in-process.
final class SSHInteropTests: XCTestCase {
    struct Key {
        let name: String
        let path: String
        let publicLine: String
        let passphrase: String?
    }

    var dir: TempDirectory!
    let sizes = [65537]

    override func setUpWithError() throws {
        dir = try TempDirectory("ssh-interop")
        try assertKeyrackAndAgeInstalled()
    }

    override func tearDown() { dir?.remove() }

    /// A fresh key from ssh-keygen; a random passphrase when `protected`.
    private func sshKeygen(_ type: String, protected: Bool = false, extra: [String] = []) throws -> Key {
        let name = "\(type)\(protected ? "-enc" : "")-\(UUID().uuidString.prefix(6))"
        let path = dir.file(name).path
        let passphrase = protected ? "pw-" + randomBytes(9).map { String(format: "%02x", $0) }.joined() : nil
        let made = try Run.process("ssh-keygen", ["-q", "-t", type, "-N", passphrase ?? "", "-C", "\(name)@keyrack-test", "-f", path] + extra)
        assertExitedZero(made, "ssh-keygen -t \(type)")
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
                assertExitedZero(try Run.process("age", ["-r", key.publicLine, "-o", sealed] + (armor ? ["-a"] : []) + [plain.path]), "age -r \(key.name)")
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
                assertExitedZero(try Run.keyrack(["age", "encrypt", "-r", key.publicLine, "-o", sealed] + (armor ? ["-a"] : []) + [plain.path]),
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

    func testProtectedEd25519AgeToKeyrack() throws { try ageToKeyrack(try sshKeygen("ed25519", protected: true)) }
    func testRSAKeyrackToAge() throws { try keyrackToAge(try sshKeygen("rsa", extra: ["-b", "2048"])) }
}
