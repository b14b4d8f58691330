import Foundation
import TestSupport
import XCTest

/// Keys made by the real `ssh-keygen` at test time, in a private temporary directory. Nothing
/// here is a real secret; passphrases are random per run.
struct GeneratedKey {
    let privateKey: [UInt8]
    let publicLine: String
    let passphrase: String?
    let path: String

    /// `ssh-keygen -l -f` output's fingerprint field (`SHA256:…`).
    func sshKeygenFingerprint() throws -> String {
        let result = try Run.process("ssh-keygen", ["-l", "-E", "sha256", "-f", path + ".pub"])
        XCTAssertEqual(result.status, 0, result.description)
        return String(result.out.split(separator: " ")[1])
    }
}

enum SSHKeygen {
    /// Generates a key; `extra` passes e.g. `["-b", "3072"]` or `["-m", "PEM"]`.
    static func generate(_ type: String, in directory: TempDirectory, name: String = UUID().uuidString,
                         passphrase: String? = nil, comment: String = "test@keyrack", extra: [String] = []) throws -> GeneratedKey {
        let path = directory.file(name).path
        let result = try Run.process("ssh-keygen", ["-q", "-t", type, "-N", passphrase ?? "", "-C", comment, "-f", path] + extra)
        guard result.status == 0 else { throw NSError(domain: "ssh-keygen", code: Int(result.status), userInfo: [NSLocalizedDescriptionKey: result.description]) }
        let privateKey = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let publicLine = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return GeneratedKey(privateKey: privateKey, publicLine: publicLine, passphrase: passphrase, path: path)
    }

    /// A random passphrase of letters and digits.
    static func randomPassphrase() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<20).map { _ in alphabet.randomElement()! })
    }
}

/// A passphrase closure that fails the test if called.
func noPassphraseExpected(file: StaticString = #filePath, line: UInt = #line) -> () throws -> [UInt8] {
    return {
        XCTFail("passphrase asked for an unencrypted key", file: file, line: line)
        return []
    }
}
