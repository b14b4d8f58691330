import KeyrackApp
import KeyrackClient
import XCTest

/// The `--json` answers of the app layer: one shape (JSONLine), fields always present (null when
/// empty), and a failing report carries the same error object as every failing command.
final class ResultJSONTests: XCTestCase {
    func testChangeAnswersWriteNullForNothingChanged() {
        XCTAssertEqual(JSONLine.encode(DelJSON(owner: "bot", slug: "acme.test.K", removed: false, repoFile: .unchanged)),
                       #"{"owner":"bot","slug":"acme.test.K","effect":"absent","repoFile":null}"#)
        XCTAssertEqual(JSONLine.encode(DelJSON(owner: "bot", slug: "acme.test.K", removed: true, repoFile: .removed(path: "/r/.agent/keyrack.yml", section: "env.test"))),
                       #"{"owner":"bot","slug":"acme.test.K","effect":"removed","repoFile":{"effect":"removed","path":"/r/.agent/keyrack.yml","section":"env.test"}}"#)
        XCTAssertEqual(JSONLine.encode(RecipientRemoveJSON(owner: "bot", removed: "backup", promoted: nil)),
                       #"{"owner":"bot","removed":"backup","promoted":null}"#)
    }

    /// doctor: the text report and the JSON come from the same checks; a failure adds the error
    /// object (code, exit, message, fix) that `jq .error` finds on every failing command.
    func testDoctorCarriesTheErrorObjectOnlyWhenACheckFails() {
        let pass = DoctorJSON.Check(name: "pcscd", status: "pass", detail: "reachable", fix: nil)
        let fail = DoctorJSON.Check(name: "owner", status: "fail", detail: "not initialised", fix: "keyrack init --for bot")
        XCTAssertEqual(JSONLine.encode(DoctorJSON(owner: "bot", checks: [pass])),
                       #"{"owner":"bot","ok":true,"checks":[{"name":"pcscd","status":"pass","detail":"reachable","fix":null}]}"#)
        let failing = DoctorJSON(owner: "bot", checks: [pass, fail])
        XCTAssertFalse(failing.ok)
        XCTAssertEqual(failing.error, ErrorReport(code: "failure", exit: 1, message: "1 check(s) failed: owner", fix: "keyrack init --for bot"))
        XCTAssertTrue(JSONLine.encode(failing).hasSuffix(#","error":{"code":"failure","exit":1,"message":"1 check(s) failed: owner","fix":"keyrack init --for bot"}}"#),
                      JSONLine.encode(failing))
    }
}
