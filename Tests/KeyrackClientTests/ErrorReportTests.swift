import KeyrackClient
import XCTest

/// The `--json` error object: its fix is the quoted `keyrack …` command of the message, its
/// strings are JSON-escaped, and `--json` after `--` belongs to the program `exec` runs.
final class ErrorReportTests: XCTestCase {
    func testFixIsTheFirstQuotedKeyrackCommand() {
        XCTAssertEqual(ErrorReport.fix(in: "K is locked: run `keyrack unlock --env test --key K`"), "keyrack unlock --env test --key K")
        XCTAssertEqual(ErrorReport.fix(in: "holds `ghp_…`; or run `keyrack set --key K`"), "keyrack set --key K")
        XCTAssertNil(ErrorReport.fix(in: "pass --env, or the full slug as --key"))
        XCTAssertNil(ErrorReport.fix(in: "an `unclosed keyrack quote"))
    }

    func testJSONIsOneObjectWithEscapedStrings() {
        let r = ErrorReport(line: "error: a \"b\"\n\tc: run `keyrack get --help`", exit: 2)
        XCTAssertEqual(r.code, "usage")
        // Control characters are escaped as on stderr (TextFormat.printable), then JSON-quoted:
        // `jq -r .error.message` prints one line and no terminal escape.
        XCTAssertEqual(r.json, #"{"error":{"code":"usage","exit":2,"message":"a \"b\"\\u{a}\\u{9}c: run `keyrack get --help`","fix":"keyrack get --help"}}"#)
        XCTAssertEqual(ErrorReport(line: "x", exit: 3, code: "locked").json, #"{"error":{"code":"locked","exit":3,"message":"x","fix":null}}"#)
        XCTAssertEqual(ErrorReport(NotGranted(message: "gone", code: "expired")).code, "expired")
        XCTAssertEqual(ErrorReport(CommandFailure("nope", exitCode: 127)).code, "command-not-found")
    }

    func testJSONFlagBeforeTheTerminatorOnly() {
        XCTAssertTrue(ErrorReport.wantsJSON(["get", "--key", "K", "--json"]))
        XCTAssertFalse(ErrorReport.wantsJSON(["exec", "--env", "test", "--", "jq", "--json"]))
        XCTAssertFalse(ErrorReport.wantsJSON(["get", "--key", "K"]))
        XCTAssertFalse(ErrorReport.wantsJSON(["get", "--json=1"]))
    }
}
