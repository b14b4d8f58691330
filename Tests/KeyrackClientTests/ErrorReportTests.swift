import KeyrackClient
import XCTest

/// The `--json` error object: its fix is the command the error itself marks (ErrorLine), never
/// one read back out of the message; its strings are JSON-escaped; `--json` after `--` belongs to
/// the program `exec` runs.
final class ErrorReportTests: XCTestCase {
    func testFixIsTheMarkedCommandNotTheFirstQuotedOne() {
        let env = "test"
        let line: ErrorLine = "holds `ghp_…`; K is locked: run \(fix: "keyrack unlock --env \(env) --key K")"
        XCTAssertEqual(line.text, "holds `ghp_…`; K is locked: run `keyrack unlock --env test --key K`")
        XCTAssertEqual(line.fix, "keyrack unlock --env test --key K")
        // A quoted keyrack command that is not marked is text, not the fix.
        let plain: ErrorLine = "see `keyrack daemon status` for \(env)"
        XCTAssertNil(plain.fix)
        // The first marked command wins, also through a nested line.
        let nested: ErrorLine = "a: \(line: line); or \(fix: "keyrack set --key K")"
        XCTAssertEqual(nested.fix, "keyrack unlock --env test --key K")
    }

    /// Rewording the message leaves `fix` as it was: the JSON contract does not hang on words.
    func testRewordingTheMessageKeepsTheFix() {
        let before = ErrorReport(NotGranted(message: "K is locked: run \(fix: "keyrack unlock --key K")", code: "locked"))
        let after = ErrorReport(NotGranted(message: "the key K waits behind \(fix: "keyrack unlock --key K"), which asks for nothing else", code: "locked"))
        XCTAssertEqual(before.fix, "keyrack unlock --key K")
        XCTAssertEqual(after.fix, before.fix)
        XCTAssertNil(ErrorReport(UsageError("pass --env, or the full slug as `keyrack get --key ORG.ENV.KEY`")).fix)
    }

    func testJSONIsOneObjectWithEscapedStrings() {
        let r = ErrorReport(line: "error: a \"b\"\n\tc: run `keyrack get --help`", exit: 2, fix: "keyrack get --help")
        XCTAssertEqual(r.code, "usage")
        // Control characters are escaped as on stderr (TextFormat.printable), then JSON-quoted:
        // `jq -r .error.message` prints one line and no terminal escape.
        XCTAssertEqual(r.json, #"{"error":{"code":"usage","exit":2,"message":"a \"b\"\\u{a}\\u{9}c: run `keyrack get --help`","fix":"keyrack get --help"}}"#)
        XCTAssertEqual(ErrorReport(line: "x", exit: 3, code: "locked").json, #"{"error":{"code":"locked","exit":3,"message":"x","fix":null}}"#)
        XCTAssertEqual(ErrorReport(NotGranted(message: "gone", code: "expired")).code, "expired")
        XCTAssertEqual(ErrorReport(CommandFailure("nope", exitCode: 127)).code, "command-not-found")
    }

    /// The text line and the JSON object come from one value: the message is the stderr line
    /// without `error: `, the fix the command the line shows in backquotes.
    func testTextAndJSONFromTheSameValue() {
        let error = UsageError("owner x is not initialised: run \(fix: "keyrack init --for x") first")
        let report = ErrorReport(error)
        XCTAssertEqual(error.cliMessage, "error: " + report.message)
        XCTAssertTrue(report.message.contains("`" + (report.fix ?? "?") + "`"), report.message)
        XCTAssertEqual(report.json, #"{"error":{"code":"usage","exit":2,"message":"owner x is not initialised: run `keyrack init --for x` first","fix":"keyrack init --for x"}}"#)
    }

    func testJSONFlagBeforeTheTerminatorOnly() {
        XCTAssertTrue(ErrorReport.wantsJSON(["get", "--key", "K", "--json"]))
        XCTAssertFalse(ErrorReport.wantsJSON(["exec", "--env", "test", "--", "jq", "--json"]))
        XCTAssertFalse(ErrorReport.wantsJSON(["get", "--key", "K"]))
        XCTAssertFalse(ErrorReport.wantsJSON(["get", "--json=1"]))
    }
}
