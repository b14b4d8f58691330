import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackOutput
import TestSupport
import XCTest

/// `source` in-process: what it prints per format, what a GitHub Actions job gets appended to
/// $GITHUB_ENV, and that a job without $GITHUB_ENV fails before any value is fetched.
final class SourceExportTests: XCTestCase {
    private let values: [(name: String, value: [UInt8])] = [("API", Array("s3cr3t".utf8)), ("PEM", Array("a\nb".utf8))]

    func testShellFormatsPrintAndAppendNothing() throws {
        let sh = try SourceExport.run(.sh, githubEnv: { XCTFail("no $GITHUB_ENV for sh"); return "" }, values: { [self.values[0]] })
        XCTAssertEqual(String(decoding: sh.stdout, as: UTF8.self), "export API='s3cr3t'\n")
        XCTAssertNil(sh.appendedToGitHubEnv)
    }

    func testGitHubActionsMasksOnStdoutAndAppendsTheVariablesToGitHubEnv() throws {
        let dir = try TempDirectory("keyrack-source")
        defer { dir.remove() }
        let file = dir.file("github_env")
        try Data("EARLIER=1\n".utf8).write(to: file)
        let r = try SourceExport.run(.githubActions, githubEnv: { file.path }, values: { self.values })
        XCTAssertEqual(String(decoding: r.stdout, as: UTF8.self), "::add-mask::s3cr3t\n::add-mask::a\n::add-mask::b\n")
        XCTAssertEqual(r.appendedToGitHubEnv, 2)
        let appended = try String(contentsOf: file, encoding: .utf8)
        XCTAssertTrue(appended.hasPrefix("EARLIER=1\nAPI=s3cr3t\nPEM<<"), appended)
        XCTAssertTrue(appended.contains("\na\nb\n"), appended)
    }

    func testNoGitHubEnvFailsBeforeAnyValueIsFetched() {
        XCTAssertThrowsError(try SourceExport.run(.githubActions, githubEnv: { throw UsageError("no $GITHUB_ENV") },
                                                  values: { XCTFail("fetched"); return self.values })) {
            XCTAssertEqual(($0 as? UsageError)?.message, "no $GITHUB_ENV")
        }
    }
}
