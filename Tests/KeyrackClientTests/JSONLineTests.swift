import KeyrackClient
import KeyrackDaemon
import XCTest

/// The one `--json` encoder: one line, a struct's fields in declaration order, a dictionary's
/// keys sorted, absent optionals as null, strings escaped by the audit log's escaper.
final class JSONLineTests: XCTestCase {
    private struct Inner: Encodable { var x: Int; var y: String? }
    private struct Answer: Encodable {
        var zeta = "first"
        var alpha: UInt64 = 7
        var missing: String? = nil
        var list = ["a", "b"]
        var inner = [Inner(x: 1, y: "q"), Inner(x: 2, y: nil)]
        var map = ["z": 1, "a": 2]
        var flag = true
        var ratio = 1.5
    }

    func testFieldsInDeclarationOrderDictionariesSortedNullsWritten() {
        XCTAssertEqual(JSONLine.encode(Answer()),
                       #"{"zeta":"first","alpha":7,"missing":null,"list":["a","b"],"inner":[{"x":1,"y":"q"},{"x":2,"y":null}],"map":{"a":2,"z":1},"flag":true,"ratio":1.5}"#)
        XCTAssertEqual(JSONLine.encode(["b": "2", "a": "1"]), #"{"a":"1","b":"2"}"#)
        XCTAssertEqual(JSONLine.encode([String]()), "[]")
        XCTAssertEqual(JSONLine.encode(Double.nan), "null", "JSON has no NaN")
    }

    /// One escaper for the audit log and every answer: controls, DEL and the JavaScript line
    /// separators are \u escapes, so an answer is always one line for any reader.
    func testStringsAreEscapedOnceTheAuditLogsWay() {
        let tricky = "a\"b\\c\n\r\t\u{1}\u{7f}\u{2028}\u{2029}é"
        let expected = #""a\"b\\c\n\r\t\u0001\u007f\u2028\u2029é""#
        XCTAssertEqual(JSONString.quoted(tricky), expected)
        XCTAssertEqual(JSONLine.encode(tricky), expected)
        var audit = AuditFields()
        audit.add("k", tricky)
        XCTAssertEqual(audit.object, "{\"k\":\(expected)}", "the audit log writes strings with the same escaper")
        XCTAssertFalse(JSONLine.encode(["k": tricky]).contains("\n"))
    }

    /// `get --json`: the value as text when it is UTF-8, else as hex; never both, never null.
    func testGrantedValueTextOrHex() {
        func line(_ secret: [UInt8]) -> String {
            JSONLine.encode(GrantedValue(owner: "bot", slug: "acme.test.K", org: "acme", env: "test", key: "K", vault: "os.secure",
                                         expiresAt: "2026-01-01T00:00:00Z", secret: secret))
        }
        XCTAssertEqual(line(Array("v".utf8)),
                       #"{"status":"granted","owner":"bot","slug":"acme.test.K","org":"acme","env":"test","key":"K","vault":"os.secure","expiresAt":"2026-01-01T00:00:00Z","value":"v"}"#)
        XCTAssertTrue(line([0xff, 0x01]).hasSuffix(#","valueHex":"ff01"}"#), line([0xff, 0x01]))
        XCTAssertFalse(line([0xff]).contains("\"value\""))
    }

    func testLooseValuesEncodeLikeTypedOnes() {
        let v = JSONValue.object(["n": .int(-3), "ok": .bool(false), "none": .null, "list": .array([.string("x"), .double(0.5)])])
        XCTAssertEqual(JSONLine.encode(v), #"{"list":["x",0.5],"n":-3,"none":null,"ok":false}"#)
    }
}
