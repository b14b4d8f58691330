import Foundation
import KeyrackApp
import XCTest

/// Paths given to `set --openbao-cacert`, `set-default --openbao-cacert` and `--private-key`:
/// made absolute against where keyrack was started (unlock reads them from anywhere), `~/`
/// expanded against the home; and `init --uid`'s user lookup.
final class InvocationPathsTests: XCTestCase {
    func testRelativePathsBecomeAbsoluteAgainstTheDirectory() {
        XCTAssertEqual(InvocationPaths.absolutePath("ca.pem", in: "/work/repo"), "/work/repo/ca.pem")
        XCTAssertEqual(InvocationPaths.absolutePath("certs/ca.pem", in: "/w"), "/w/certs/ca.pem")
        XCTAssertEqual(InvocationPaths.absolutePath("/etc/ca.pem", in: "/work/repo"), "/etc/ca.pem")
        XCTAssertEqual(InvocationPaths.absolutePath("x"), FileManager.default.currentDirectoryPath + "/x")
    }

    func testTildeExpandsAgainstTheHomeOnlyAtTheStart() {
        let home = URL(fileURLWithPath: "/home/pat")
        XCTAssertEqual(InvocationPaths.expandingTilde("~/keys/app.pem", home: home), "/home/pat/keys/app.pem")
        XCTAssertEqual(InvocationPaths.expandingTilde("keys/~/app.pem", home: home), "keys/~/app.pem")
        XCTAssertEqual(InvocationPaths.expandingTilde("~other/app.pem", home: home), "~other/app.pem")
    }

    func testUnixUsersByNumberOrName() {
        XCTAssertEqual(UnixUser.uid("4242"), 4242)
        XCTAssertEqual(UnixUser.uid("root"), 0)
        XCTAssertNil(UnixUser.uid("no-such-user-keyrack"))
    }
}
