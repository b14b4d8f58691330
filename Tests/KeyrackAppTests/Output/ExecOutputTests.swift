import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackOutput
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// exec's environment (`--env`, `--key`, `--env-file`), `--mask`, `inject` and the keys whose
/// names cannot be variables, in-process against a real daemon served by this test
/// (InProcessDaemon). Exit codes are the errors' (`CLIReportable.exitCode`): a usage error 2, a
/// key not granted 3. The end-to-end runs of the built binary: CLITests/TemplateTests.swift.
final class ExecOutputTests: XCTestCase {
    private var daemon: InProcessDaemon!
    private let api = "api-" + UUID().uuidString
    private let dashed = "dashed-" + UUID().uuidString

    override func setUpWithError() throws {
        daemon = try InProcessDaemon(owner: "bot")
        try daemon.grant([("acme.test.API", api), ("acme.test.my-key", dashed)], catalog: ["acme.test.API", "acme.test.my-key"])
    }

    override func tearDown() { daemon.stop() }

    private func file(_ name: String, _ text: String) throws -> String { try daemon.dir.write(name, Array(text.utf8)).path }

    private func values(env: String? = nil, keys: [String] = [], files: [String] = []) throws -> [String: String] {
        let v = try ExecEnvironment.values(owner: "bot", env: env, keys: keys, envFiles: files, allowDangerous: false)
        return Dictionary(v.map { ($0.name, String(decoding: $0.value, as: UTF8.self)) }, uniquingKeysWith: { a, _ in a })
    }

    private func failure(_ body: () throws -> Any) -> (code: Int32, message: String)? { reportedFailure(body) }

    /// exec computes the whole environment before it runs anything: each refusal here is thrown
    /// by ExecEnvironment.values, before PlainExec runs the program.
    func testEnvFileProblemsFailBeforeTheProgramRuns() throws {
        let unresolved = failure { try self.values(files: [try self.file("u.env", "A=keyrack://acme.test.API\nB=keyrack://acme.test.NOPE\n")]) }
        XCTAssertEqual(unresolved?.code, 3, "\(String(describing: unresolved))")
        XCTAssertTrue(unresolved?.message.contains("'bot' has no key acme.test.NOPE") == true, "\(String(describing: unresolved))")

        try daemon.relock()
        let locked = failure { try self.values(files: [try self.file("l.env", "A=keyrack://acme.test.API\n")]) }
        XCTAssertEqual(locked?.code, 3)
        XCTAssertTrue(locked?.message.contains("locked") == true, "\(String(describing: locked))")
        try daemon.grant([("acme.test.API", api)], catalog: ["acme.test.API", "acme.test.my-key"])

        let badName = failure { try self.values(files: [try self.file("n.env", "OK=1\nmy-var=x\n")]) }
        XCTAssertEqual(badName?.code, 2)
        XCTAssertTrue(badName?.message.contains("line 2: 'my-var' is not a variable name") == true, "\(String(describing: badName))")
        let twice = failure { try self.values(env: "test", keys: ["API"], files: [try self.file("t.env", "API=x\n")]) }
        XCTAssertEqual(twice?.code, 2)
        XCTAssertTrue(twice?.message.contains("sets API, which a key of the env sets already") == true, "\(String(describing: twice))")
    }

    /// `exec --mask`: 3000 lines with the values at every offset modulo 7 (some reads end inside a
    /// value), both streams masked, the program's exit code kept; 128 + the signal that ended it.
    func testMaskConcealsEveryOccurrenceOnBothStreamsAndKeepsTheExitCode() throws {
        var values = try ExecEnvironment.values(owner: "bot", env: nil, keys: [],
                                                envFiles: [try file("m.env", "API_TOKEN=keyrack://acme.test.API\nMY_KEY=keyrack://acme.test.my-key\nPLAIN=not-secret\n")],
                                                allowDangerous: false)
        XCTAssertEqual(values.map(\.name), ["API_TOKEN", "MY_KEY", "PLAIN"])
        XCTAssertEqual(values.map(\.granted), [true, true, false], "a file's plain value is not concealed")
        // The control: unmasked, the program would print these.
        XCTAssertEqual(values.map { String(decoding: $0.value, as: UTF8.self) }, [api, dashed, "not-secret"])
        let secrets = values.filter(\.granted).map(\.value)
        // As PlainExec.run does under --mask: export, then MaskedExec's child.
        try PlainExec.export(&values)
        defer {
            for name in ["API_TOKEN", "MY_KEY", "PLAIN"] { unsetenv(name) }
            for s in [SIGINT, SIGQUIT, SIGTERM, SIGHUP] { signal(s, SIG_DFL) }
        }
        let script = "i=0; while [ $i -lt 3000 ]; do printf '%.*s%s|%s\\n' $((i % 7)) xxxxxxx \"$API_TOKEN\" \"$MY_KEY\"; i=$((i+1)); done; echo \"err:$API_TOKEN:plain\" >&2; exit 7"
        let (status, out, err) = try masked(["/bin/sh", "-c", script], secrets)
        XCTAssertEqual(status, 7, "the program's exit code")
        let expected = (0..<3000).map { String(repeating: "x", count: $0 % 7) + "<concealed by keyrack>|<concealed by keyrack>\n" }.joined()
        XCTAssertEqual(out, expected)
        XCTAssertEqual(err, "err:<concealed by keyrack>:plain\n")
        XCTAssertEqual(try masked(["/bin/sh", "-c", "kill -TERM $$"], secrets).status, 143)
    }

    private func masked(_ command: [String], _ secrets: [[UInt8]]) throws -> (status: Int32, out: String, err: String) {
        let outPath = daemon.dir.file("out-\(UUID().uuidString)").path, errPath = daemon.dir.file("err-\(UUID().uuidString)").path
        let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600), err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(out); close(err) }
        let status = try MaskedExec.run(command, concealing: secrets, output: (out, err))
        return (status, try String(contentsOfFile: outPath, encoding: .utf8), try String(contentsOfFile: errPath, encoding: .utf8))
    }

    func testInjectFillsPlaceholdersAllOrNothing() throws {
        let template = try file("config.tpl", "api: {{ keyrack://acme.test.API }}\nkey: {{keyrack://acme.test.my-key}}\nother: {{ .Values.x }}\n")
        let out = daemon.dir.file("config.yml").path
        let written = try Inject.run(input: template, output: out, owner: "bot", allowDangerous: false)
        XCTAssertEqual(written.placeholders, 2)
        XCTAssertNil(written.stdout)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "api: \(api)\nkey: \(dashed)\nother: {{ .Values.x }}\n")
        // stdin to stdout, text kept as it is (the trailing newline too).
        let piped = try Inject.run(input: nil, output: nil, owner: "bot", allowDangerous: false, stdin: { Array("x={{ keyrack://acme.test.API }}\n".utf8) })
        XCTAssertEqual(piped.stdout.map { String(decoding: $0, as: UTF8.self) }, "x=\(api)\n")

        // One placeholder not granted: exit 3 and no file; a malformed one: exit 2 with its line.
        let partial = daemon.dir.file("partial.yml").path
        let missing = failure {
            try Inject.run(input: nil, output: partial, owner: "bot", allowDangerous: false,
                           stdin: { Array("a: {{ keyrack://acme.test.API }}\nb: {{ keyrack://acme.test.NOPE }}\n".utf8) })
        }
        XCTAssertEqual(missing?.code, 3, "\(String(describing: missing))")
        XCTAssertFalse(missing?.message.contains(api) ?? true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial))
        let malformed = failure {
            try Inject.run(input: nil, output: nil, owner: "bot", allowDangerous: false, stdin: { Array("ok\n{{ keyrack://acme.test.API\n".utf8) })
        }
        XCTAssertEqual(malformed?.code, 2)
        XCTAssertTrue(malformed?.message.contains("stdin line 2: {{ keyrack://acme.test.API is not closed with }}") == true, "\(String(describing: malformed))")
    }

    /// `source`/`exec --env test` with the unlocked keys: my-key is skipped by name with a warning
    /// that says how to pass it; asked for with --key it is a usage error saying the same.
    func testAKeyNamedLikeMyKeyIsSkippedByNameNotFatal() throws {
        let fetch = try ValueFetch(owner: "bot", directory: daemon.dir.path, allowDangerous: false)
        var got: [(name: String, value: [UInt8])] = []
        let warning = try capturingStderr { got = try fetch.environment(env: "test", keys: []) }
        XCTAssertEqual(got.map(\.name), ["API"])
        XCTAssertEqual(got.map { String(decoding: $0.value, as: UTF8.self) }, [api])
        XCTAssertEqual(String(decoding: try SourceFormat.sh.render(got).stdout, as: UTF8.self), "export API='\(api)'\n")
        XCTAssertTrue(warning.contains("skipped key 'my-key'"), warning)
        XCTAssertTrue(warning.contains("--env-file FILE and a line MY_KEY=keyrack://"), warning)
        let named = failure { try fetch.environment(env: "test", keys: ["my-key"]) }
        XCTAssertEqual(named?.code, 2)
        XCTAssertTrue(named?.message.contains("MY_KEY=keyrack://") == true, "\(String(describing: named))")
    }
}

/// The error `body` throws, as the CLI reports it: its exit code and its message (nil: none).
func reportedFailure(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> (code: Int32, message: String)? {
    do { _ = try body() } catch let e as CLIReportable { return (e.exitCode, e.cliMessage) } catch { XCTFail("not reportable: \(error)", file: file, line: line) }
    return nil
}

/// What `body` wrote on this process's stderr (fd 2, as Terminal.printError writes it).
func capturingStderr(_ body: () throws -> Void) throws -> String {
    let path = NSTemporaryDirectory() + "keyrack-stderr-\(UUID().uuidString)"
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let saved = dup(2)
    dup2(fd, 2)
    defer { unlink(path) }
    do {
        try body()
    } catch {
        dup2(saved, 2); close(saved); close(fd)
        throw error
    }
    dup2(saved, 2)
    close(saved)
    close(fd)
    return try String(contentsOfFile: path, encoding: .utf8)
}
