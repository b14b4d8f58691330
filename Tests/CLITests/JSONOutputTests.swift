import Foundation
import TestSupport
import XCTest

/// `--json` for scripts: a failure prints one `{"error":{code,exit,message,fix}}` object on stdout
/// as well as its stderr line, for usage errors found while parsing as for refusals found later;
/// `source --json` and `daemon stop --json` print JSON; every code is in docs/cli.md's table.
final class JSONOutputTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    /// The codes and exits docs/cli.md documents, from its table.
    private func documentedCodes() throws -> [String: Int] {
        let text = try String(contentsOf: Run.packageRoot.appendingPathComponent("docs/cli.md"), encoding: .utf8)
        var codes: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.count >= 2, let exit = Int(cells[1]) { codes[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = exit }
        }
        return codes
    }

    /// Asserts `r` failed with exactly the schema: one line, one object, four fields of the right
    /// types, the code documented with this exit, the message equal to the stderr line.
    @discardableResult
    private func assertError(_ r: RunResult, code: String, exit: Int32, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        XCTAssertEqual(r.status, exit, "\(r)", file: file, line: line)
        XCTAssertEqual(r.out.filter { $0 == "\n" }.count, 1, "one line on stdout: \(r)", file: file, line: line)
        let object = try ManifestHarness.json(r)
        XCTAssertEqual(Array(object.keys), ["error"], file: file, line: line)
        let error = try XCTUnwrap(object["error"] as? [String: Any], file: file, line: line)
        XCTAssertEqual(Set(error.keys), ["code", "exit", "message", "fix"], file: file, line: line)
        XCTAssertEqual(error["code"] as? String, code, "\(r)", file: file, line: line)
        XCTAssertEqual(error["exit"] as? Int, Int(exit), file: file, line: line)
        XCTAssertTrue(error["fix"] is String || error["fix"] is NSNull, file: file, line: line)
        let message = try XCTUnwrap(error["message"] as? String, file: file, line: line)
        XCTAssertFalse(message.isEmpty || message.hasPrefix("error:"), message, file: file, line: line)
        XCTAssertTrue(r.err.contains(message), "the stderr line carries the same message: \(r)", file: file, line: line)
        XCTAssertEqual(try documentedCodes()[code], Int(exit), "docs/cli.md documents \(code) with exit \(exit)", file: file, line: line)
        return error
    }

    func testFailuresPrintOneErrorObjectOnStdout() throws {
        // A usage error ArgumentParser finds: the fix is the command's help.
        let unknown = try assertError(try h.keyrack(["status", "--json", "--bogus"]), code: "usage", exit: 2)
        XCTAssertEqual(unknown["fix"] as? String, "keyrack status --help")
        // A usage error the core finds, with the command that fixes it.
        let uninitialised = try assertError(try h.keyrack(["list", "--for", "ghost", "--json"]), code: "usage", exit: 2)
        XCTAssertTrue((uninitialised["fix"] as? String)?.hasPrefix("keyrack init") == true, "\(uninitialised)")

        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "api-value")
        // exec and source before any unlock: locked, nothing run, nothing exported.
        let marker = h.machine.dir.file("ran")
        let exec = try h.keyrack(["exec", "--json", "--for", "bot", "--env", "test", "--key", "API", "--", "/usr/bin/touch", marker.path])
        try assertError(exec, code: "locked", exit: 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker.path), "exec ran the program with its key locked")
        try assertError(try h.keyrack(["source", "--json", "--for", "bot", "--env", "test"]), code: "locked", exit: 3)
        // A --json after -- is the program's, not keyrack's: no JSON from keyrack.
        let theirs = try h.keyrack(["exec", "--for", "bot", "--env", "test", "--key", "API", "--", "/bin/echo", "--json"])
        XCTAssertEqual(theirs.status, 3, "\(theirs)")
        XCTAssertEqual(theirs.out, "")

        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let absent = try assertError(try h.keyrack(["source", "--json", "--for", "bot", "--env", "test", "--key", "NOPE"]), code: "absent", exit: 3)
        XCTAssertEqual(absent["fix"] as? String, "keyrack set --for bot --env test --key NOPE")
        try assertError(try h.keyrack(["exec", "--json", "--for", "bot", "--env", "test", "--key", "API", "--", "no-such-program-\(UUID().uuidString.prefix(6))"]),
                        code: "command-not-found", exit: 127)
        // The same failure without --json leaves stdout empty.
        XCTAssertEqual(try h.keyrack(["source", "--for", "bot", "--env", "test", "--key", "NOPE"]).out, "")
    }

    func testSourceAndDaemonStopHonourJSON() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "api \"value\"\n2")
        try h.ok(["set", "--for", "bot", "--key", "OTHER", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "o")
        XCTAssertEqual(try ManifestHarness.json(try h.ok(["daemon", "stop", "--for", "bot", "--json"])) as NSDictionary,
                       ["owner": "bot", "effect": "not-running"])
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        let source = try h.ok(["source", "--for", "bot", "--env", "test", "--json"])
        XCTAssertEqual(try ManifestHarness.json(source) as NSDictionary, ["API": "api \"value\"\n2", "OTHER": "o"])
        XCTAssertEqual(try h.ok(["source", "--for", "bot", "--env", "test", "--format", "json"]).out, source.out)
        XCTAssertEqual(try h.keyrack(["source", "--for", "bot", "--env", "test", "--json", "--format", "sh"]).status, 2)

        let pid = try XCTUnwrap(h.daemonPID("bot"))
        XCTAssertEqual(try ManifestHarness.json(try h.ok(["daemon", "stop", "--for", "bot", "--json"])) as NSDictionary,
                       ["owner": "bot", "effect": "stopped"])
        XCTAssertTrue(h.waitUntilGone(pid))
    }

    /// `daemon status` fails as every command does: with --json the one error object (and the
    /// stderr line), without it the same message on stdout; the same exit code either way.
    func testDaemonStatusFailsWithTheErrorObject() throws {
        let none = try assertError(try h.keyrack(["daemon", "status", "--for", "ghost", "--json"]), code: "locked", exit: 3)
        let message = try XCTUnwrap(none["message"] as? String)
        XCTAssertTrue(message.hasPrefix("no daemon is running for 'ghost'"), message)
        let text = try h.keyrack(["daemon", "status", "--for", "ghost"])
        XCTAssertEqual(text.status, 3, "\(text)")
        XCTAssertEqual(text.out, message + "\n")
    }

    /// Every answer is one line of the one shape: the manifest commands no longer pretty-print,
    /// and a field with no value is null rather than missing.
    func testAnswersAreOneLine() throws {
        try h.sshOwner("bot")
        try h.ok(["set", "--for", "bot", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "v")
        for args in [["list", "--for", "bot", "--json"], ["recipient", "list", "--for", "bot", "--json"], ["status", "--for", "bot", "--json"]] {
            let r = try h.ok(args)
            XCTAssertEqual(r.out.filter { $0 == "\n" }.count, 1, "one line, not pretty-printed: \(r)")
        }
        let status = try ManifestHarness.json(try h.ok(["status", "--for", "bot", "--json"]))
        XCTAssertTrue(status["pid"] is NSNull, "not running: pid is null, not missing: \(status)")
        XCTAssertTrue(status["identityAgent"] is NSNull, "\(status)")
    }
}
