import Foundation
import TestSupport
import XCTest

/// A throwaway machine for the manifest black-box tests: a temp HOME (with ~/.ssh), a temp
/// KEYRACK_HOME, and the fake `op` on PATH. Runs the built `keyrack` binary and the real `age`
/// and `ssh-keygen` against it.
final class ManifestHarness {
    let dir: TempDirectory
    let home: URL
    let keyrackHome: URL
    let opVaults: URL

    init() throws {
        dir = try TempDirectory("keyrack-cli")
        home = dir.file("home")
        keyrackHome = dir.file("kr")
        opVaults = dir.file("op-vaults")
        for d in [home.appendingPathComponent(".ssh"), opVaults] {
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Run.keyrackBinary), "build keyrack first: \(Run.keyrackBinary)")
    }

    deinit { dir.remove() }

    var fixtures: URL { Run.packageRoot.appendingPathComponent("Tests/CLITests/Fixtures") }

    var environment: [String: String?] {
        [
            "HOME": home.path, "KEYRACK_HOME": keyrackHome.path, "FAKE_OP_VAULTS": opVaults.path,
            "PATH": fixtures.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
        ]
    }

    /// Runs `keyrack args…` in `cwd` (default: the temp dir, outside any repository).
    @discardableResult
    func keyrack(_ args: [String], stdin: String = "", env: [String: String?] = [:], cwd: URL? = nil) throws -> RunResult {
        var e = environment
        for (k, v) in env { e[k] = v }
        return try Run.keyrack(args, stdin: Array(stdin.utf8), environment: e, currentDirectory: cwd ?? dir.url)
    }

    /// Runs keyrack and fails the test unless it exits 0.
    @discardableResult
    func ok(_ args: [String], stdin: String = "", cwd: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let r = try keyrack(args, stdin: stdin, cwd: cwd)
        XCTAssertEqual(r.status, 0, "keyrack \(args.joined(separator: " "))\n\(r)", file: file, line: line)
        return r
    }

    /// A fresh passphrase-less ed25519 key `~/.ssh/NAME` (+ `.pub`), made by the real ssh-keygen.
    @discardableResult
    func sshKey(_ name: String, type: String = "ed25519") throws -> URL {
        let key = home.appendingPathComponent(".ssh/\(name)")
        let r = try Run.process("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", name, "-f", key.path])
        XCTAssertEqual(r.status, 0, "\(r)")
        return key
    }

    func manifest(_ owner: String) -> URL { keyrackHome.appendingPathComponent("host.\(owner).yml.age") }

    /// Decrypts `owner`'s manifest with Debian's `age -d -i IDENTITY`, independent of keyrack.
    func ageDecrypt(_ owner: String, identity: URL) throws -> RunResult {
        try Run.process("age", ["-d", "-i", identity.path, manifest(owner).path])
    }

    /// Every file under KEYRACK_HOME with its bytes and mode, to prove a command changed nothing.
    func snapshot() throws -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: keyrackHome.path) else { return result }
        for case let rel as String in walker {
            // The access log (audit/) is appended to by design by every daemon request, denial
            // included; docs/audit.md. "Changed nothing" is about the manifest and its friends.
            if rel == "audit" || rel.hasPrefix("audit/") { continue }
            let path = keyrackHome.appendingPathComponent(rel).path
            let attrs = try FileManager.default.attributesOfItem(atPath: path)
            let mode = (attrs[.posixPermissions] as? NSNumber)?.intValue ?? -1
            let isDir = (attrs[.type] as? FileAttributeType) == .typeDirectory
            let content = isDir ? "dir" : (FileManager.default.contents(atPath: path)?.base64EncodedString() ?? "?")
            result[rel] = "\(String(mode, radix: 8)) \(content)"
        }
        return result
    }

    /// Stores a value in the fake 1Password at `op://VAULT/ITEM/FIELD`.
    func opItem(_ reference: String, value: String) throws {
        let file = opVaults.appendingPathComponent(String(reference.dropFirst("op://".count)))
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(value.utf8).write(to: file)
    }

    func mode(_ url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Parses stdout as a JSON object.
    static func json(_ r: RunResult) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.description)
    }
}
