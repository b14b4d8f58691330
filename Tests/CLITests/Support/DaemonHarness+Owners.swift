import Foundation
import TestSupport
import XCTest

/// The set-up most daemon tests share, said once: an owner with os.secure keys, unlocked; the
/// environment a process the test starts itself needs to reach this test's daemons; the owner's
/// access log and its records.
extension DaemonHarness {
    /// The machine's environment with this test's runtime directory.
    var environment: [String: String?] {
        var e = machine.environment
        e["XDG_RUNTIME_DIR"] = runtime.path
        return e
    }

    /// `set --vault os.secure` of ORG.ENV.KEY for `owner`, the value on stdin, one `--send-to` per destination.
    @discardableResult
    func secure(_ owner: String, _ key: String, _ value: String, env: String = "test", org: String = "acme", sendTo: [String] = [],
                file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        try ok(["set", "--for", owner, "--org", org, "--env", env, "--key", key, "--vault", "os.secure"] + sendTo.flatMap { ["--send-to", $0] },
               stdin: value, file: file, line: line)
    }

    /// An ssh owner with each key set (os.secure, acme.ENV) to its value, then unlocked.
    func unlockedOwner(_ owner: String, _ keys: [(String, String)], env: String = "test", sendTo: [String] = [],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try sshOwner(owner)
        for (key, value) in keys { try secure(owner, key, value, env: env, sendTo: sendTo, file: file, line: line) }
        try ok(["unlock", "--for", owner, "--env", env], file: file, line: line)
    }

    /// `keyrack args` started in the background in this test's machine, watched while it runs.
    func watched(_ args: [String], env: [String: String?] = [:], stdin: [UInt8] = []) throws -> WatchedProcess {
        try WatchedProcess(Run.keyrackBinary, args, environment: environment.merging(env) { $1 }, stdin: stdin, cwd: machine.dir.url)
    }

    func auditLog(_ owner: String) -> URL { machine.keyrackHome.appendingPathComponent("audit/\(owner).jsonl") }

    /// The records of `owner`'s access log, as written.
    func auditRecords(_ owner: String) throws -> [[String: Any]] { jsonLines(try String(contentsOf: auditLog(owner), encoding: .utf8)) }

    /// The records `audit show --json` prints (daemon records with their requester filled in).
    func shownAuditRecords(_ owner: String) throws -> [[String: Any]] { jsonLines(try ok(["audit", "show", "--for", owner, "--json"]).out) }
}

/// Each line of `text` that is a JSON object.
func jsonLines(_ text: String) -> [[String: Any]] {
    text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

/// `env`'s output (NAME=value lines) as a dictionary, the first of each name.
func environmentLines(_ text: String) -> [String: String] {
    Dictionary(text.split(separator: "\n").compactMap { line -> (String, String)? in
        guard let eq = line.firstIndex(of: "=") else { return nil }
        return (String(line[..<eq]), String(line[line.index(after: eq)...]))
    }, uniquingKeysWith: { a, _ in a })
}

/// A fresh age key pair made by Debian's age-keygen at `path`: its recipient.
func ageKeyPair(at path: URL, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    assertExitedZero(try Run.process("age-keygen", ["-o", path.path]), "age-keygen", file: file, line: line)
    let r = try Run.process("age-keygen", ["-y", path.path])
    assertExitedZero(r, "age-keygen -y", file: file, line: line)
    return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// keyrack `args` run again until it exits 0 while `daemon` (started by hand) runs, 10 s at most:
/// the daemon answers once it listens.
func keyrackOnceAnswered(_ args: [String], environment: [String: String?], daemon: Spawned) throws -> RunResult {
    let deadline = Date().addingTimeInterval(10)
    var r = try Run.keyrack(args, environment: environment)
    while r.status != 0 && Date() < deadline && daemon.isRunning {
        usleep(20_000)
        r = try Run.keyrack(args, environment: environment)
    }
    return r
}

/// Fails the test unless `r` exited 0, naming `what`.
func assertExitedZero(_ r: RunResult, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(r.status, 0, "\(what): \(r)", file: file, line: line)
}

/// The interop tests' tools are there: the built keyrack and Debian's age.
func assertKeyrackAndAgeInstalled(file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Run.keyrackBinary), "build keyrack first: \(Run.keyrackBinary)", file: file, line: line)
    assertExitedZero(try Run.process("age", ["--version"]), "Debian's age must be installed (scripts/install-deps)", file: file, line: line)
}
