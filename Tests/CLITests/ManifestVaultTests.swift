import Foundation
import TestSupport
import XCTest

/// `set`, `list` and `del` end to end: the lines they print.
final class ManifestVaultTests: XCTestCase {
    var h: ManifestHarness!

    override func setUpWithError() throws {
        h = try ManifestHarness()
        try h.ok(["init", "--for", "seaturtle", "--via", "age"])
    }

    override func tearDown() { h = nil }

    /// What set, list and del print (what each vault stores and the outcomes in-process:
    /// KeyrackAppTests/Manifest/ManifestVaultTests.swift).
    func testSetListAndDelPrintTheirLinesAndListNeverAValue() throws {
        let r = try h.ok(["set", "--for", "seaturtle", "--key", "DEPLOY_KEY", "--env", "prod", "--org", "acme", "--vault", "os.secure"], stdin: "BEGIN KEY\n")
        XCTAssertEqual(r.out, "keyrack set: created acme.prod.DEPLOY_KEY for owner seaturtle (vault os.secure, mech PERMANENT_VIA_REPLICA)\n")
        XCTAssertTrue(try h.ok(["set", "--for", "seaturtle", "--key", "DEPLOY_KEY", "--env", "prod", "--org", "acme", "--vault", "os.secure"], stdin: "BEGIN KEY")
            .out.contains("unchanged acme.prod.DEPLOY_KEY"))
        for args in [["list", "--for", "seaturtle"], ["list", "--for", "seaturtle", "--json"]] {
            let list = try h.ok(args)
            XCTAssertTrue(list.out.contains("acme.prod.DEPLOY_KEY"))
            XCTAssertFalse(list.out.contains("BEGIN KEY"), "list printed a value: \(list.out)")
        }
        XCTAssertEqual(try h.ok(["del", "--for", "seaturtle", "--key", "DEPLOY_KEY", "--env", "prod", "--org", "acme"]).out,
                       "keyrack del: removed acme.prod.DEPLOY_KEY from owner seaturtle\n")
        XCTAssertEqual(try h.ok(["del", "--for", "seaturtle", "--key", "DEPLOY_KEY", "--env", "prod", "--org", "acme"]).out,
                       "keyrack del: acme.prod.DEPLOY_KEY was not set for owner seaturtle (already absent)\n")
    }
}
