import KeyrackClient
import KeyrackDaemon
import KeyrackOutput
import XCTest
import KeyrackNames

/// `inject`'s template: `{{ keyrack://ORG.ENV.KEY }}` placeholders (blanks optional) filled,
/// other `{{ … }}` passed through, a malformed placeholder a usage error naming its line.
final class InjectTemplateTests: XCTestCase {
    private func slug(_ s: String) -> Slug { Slug(parsing: s)! }

    func testFillsPlaceholdersAndKeepsEverythingElse() throws {
        let text = "api: {{ keyrack://acme.test.API }}\nkey: {{keyrack://acme.test.my-key}}\nother: {{ .Values.x }}\ntab: {{\tkeyrack://acme.test.API\t}}\n"
        let template = try InjectTemplate(Array(text.utf8), path: "config.tpl")
        XCTAssertEqual(template.references, [slug("acme.test.API"), slug("acme.test.my-key"), slug("acme.test.API")])
        let values = [slug("acme.test.API"): Array("A-1".utf8), slug("acme.test.my-key"): Array("dashed".utf8)]
        XCTAssertEqual(String(decoding: template.render(values), as: UTF8.self),
                       "api: A-1\nkey: dashed\nother: {{ .Values.x }}\ntab: A-1\n")
    }

    func testTextWithoutPlaceholdersIsKeptByteForByte() throws {
        let bytes: [UInt8] = Array("x={{ op://v/i/f }} {{ keyrack }} }}{{".utf8) + [0xff, 0x00, 0x0a]
        let template = try InjectTemplate(bytes, path: "stdin")
        XCTAssertEqual(template.references, [])
        XCTAssertEqual(template.render([:]), bytes)
    }

    func testMalformedPlaceholdersAreUsageErrorsWithTheirLine() {
        let cases: [(String, String)] = [
            ("ok\n{{ keyrack://acme.test.API\n", "stdin line 2: {{ keyrack://acme.test.API is not closed with }}"),
            ("{{ keyrack://acme.API }}", "stdin line 1: keyrack://acme.API is not ORG.ENV.KEY"),
            ("a\nb\n{{keyrack://acme.test.API x}}", "stdin line 3: {{ keyrack://acme.test.API is not closed with }}"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try InjectTemplate(Array(text.utf8), path: "stdin"), text) { error in
                XCTAssertEqual((error as? UsageError)?.message, expected)
            }
        }
    }
}
