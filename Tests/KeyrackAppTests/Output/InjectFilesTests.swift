import Foundation
import KeyrackApp
import KeyrackClient
import TestSupport
import XCTest

/// `inject`'s files (no daemon needed: a template without references asks it for nothing):
/// read from a path or stdin, written whole with mode 0600, refused when absent.
final class InjectFilesTests: XCTestCase {
    private var dir: TempDirectory!

    override func setUpWithError() throws { dir = try TempDirectory("keyrack-inject") }
    override func tearDown() { dir.remove() }

    func testATemplateFromStdinGoesToStdoutWithOtherBracesKept() throws {
        let r = try Inject.run(input: nil, output: nil, owner: "human", allowDangerous: false, stdin: { Array("a: {{ other }}\n".utf8) })
        XCTAssertEqual(r.stdout, Array("a: {{ other }}\n".utf8))
        XCTAssertEqual(r.placeholders, 0)
    }

    func testAnOutputFileIsWrittenWithMode0600AndNothingGoesToStdout() throws {
        let tpl = dir.file("c.tpl"), out = dir.file("c.yml")
        try Data("plain: yes\n".utf8).write(to: tpl)
        let r = try Inject.run(input: tpl.path, output: out.path, owner: "human", allowDangerous: false, stdin: { XCTFail("stdin read"); return [] })
        XCTAssertNil(r.stdout)
        XCTAssertEqual(try String(contentsOf: out, encoding: .utf8), "plain: yes\n")
        let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
    }

    func testAnAbsentTemplateIsAUsageError() {
        let absent = dir.file("absent.tpl").path
        XCTAssertThrowsError(try Inject.run(input: absent, output: nil, owner: "human", allowDangerous: false)) { error in
            XCTAssertEqual((error as? UsageError)?.message, "template '\(absent)' does not exist")
        }
    }
}
