import KeyrackYAML
import XCTest

/// The YAML reader's refusals: the problem and the remedy apart, the remedy in terms of the file,
/// no command or option of keyrack's CLI (which adds `--org` itself).
final class RepoFileErrorTests: XCTestCase {
    func testAMissingOrgIsTypedAndNamesNoOption() {
        XCTAssertThrowsError(try RepoFile.parse(Array("env.test:\n  - API\n".utf8), path: "/r/.agent/keyrack.yml")) { error in
            let e = error as? RepoFileError
            XCTAssertEqual(e, .noOrg(path: "/r/.agent/keyrack.yml"))
            XCTAssertEqual(e?.problem, "/r/.agent/keyrack.yml has no org")
            XCTAssertEqual(e?.remedy, "add `org: <your-org>`")
            XCTAssertEqual(e?.message, "/r/.agent/keyrack.yml has no org: add `org: <your-org>`")
            XCTAssertEqual(e?.isUsage, true)
        }
    }

    func testRefusalsNameNoCommandOrOption() {
        for e in [RepoFileError.noOrg(path: "p"), .usage("p line 1: extends: must be a list of paths from the git root"), .failure("cannot read p: denied")] {
            XCTAssertFalse(e.problem.isEmpty)
            XCTAssertEqual(e.description, e.remedy.map { "\(e.problem): \($0)" } ?? e.problem)
            XCTAssertFalse(e.description.contains("keyrack ") || e.description.contains("--"), e.description)
        }
    }
}
