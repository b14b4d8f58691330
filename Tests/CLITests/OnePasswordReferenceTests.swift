import Foundation
import TestSupport
import XCTest

/// 1Password references as the vision writes them (`VAULT/ITEM`, `VAULT/ITEM/FIELD`) besides
/// `op://…`, and `--account`, against the `op` contract stand-in in Fixtures/op.
final class OnePasswordReferenceTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.sshOwner("mechanic")
    }

    override func tearDown() { h.tearDown() }

    private func set(_ key: String, _ exid: String, _ extra: [String] = []) throws -> RunResult {
        try h.keyrack(["set", "--for", "mechanic", "--key", key, "--env", "prod", "--org", "acme", "--vault", "1password", "--exid=\(exid)"] + extra)
    }

    private func value(_ key: String) throws -> String {
        try h.ok(["get", "--for", "mechanic", "--key", key, "--env", "prod", "--value"]).out
    }

    func testItemFieldAndAccountFormsResolveToTheRightField() throws {
        let pat = "ghs_pat_" + freshToken(), db = "db-" + freshToken(), other = "other-" + freshToken()
        try h.machine.opItem("op://mechanic/github-pat/credential", value: pat)
        try h.machine.opItem("op://mechanic/github-pat/username", value: "mechanic-bot")
        try h.machine.opItem("op://mechanic/postgres/password", value: db)
        try h.machine.opItem("op://mechanic/postgres/username", value: "app")
        try h.machine.opItem("op://@work.1password.com/mechanic/github-pat/credential", value: other)

        XCTAssertEqual(try set("GITHUB_TOKEN", "mechanic/github-pat").status, 0)
        XCTAssertEqual(try set("DB_PASSWORD", "mechanic/postgres").status, 0)
        XCTAssertEqual(try set("DB_USER", "mechanic/postgres/username").status, 0)
        XCTAssertEqual(try set("WORK_TOKEN", "mechanic/github-pat", ["--account", "work.1password.com"]).status, 0)
        let listed = try ManifestHarness.json(try h.ok(["list", "--for", "mechanic", "--json"]))
        XCTAssertEqual((listed["keys"] as? [[String: Any]])?.compactMap { $0["exid"] as? String }.sorted(),
                       ["mechanic/github-pat", "mechanic/github-pat", "mechanic/postgres", "mechanic/postgres/username"])

        try h.ok(["unlock", "--for", "mechanic", "--env", "prod"])
        XCTAssertEqual(try value("GITHUB_TOKEN"), pat, "VAULT/ITEM takes the item's credential field")
        XCTAssertEqual(try value("DB_PASSWORD"), db, "VAULT/ITEM takes a login's password field")
        XCTAssertEqual(try value("DB_USER"), "app", "VAULT/ITEM/FIELD reads that field")
        XCTAssertEqual(try value("WORK_TOKEN"), other, "--account reads from that account")
    }

    func testAmbiguousOrFieldlessItemsAndUnknownAccountsAreRefusedAtSet() throws {
        try h.machine.opItem("op://mechanic/both/credential", value: "one")
        try h.machine.opItem("op://mechanic/both/password", value: "two")
        try h.machine.opItem("op://mechanic/note/text", value: "three")
        let before = try h.machine.snapshot()

        let both = try set("K", "mechanic/both")
        XCTAssertEqual(both.status, 2, "\(both)")
        XCTAssertTrue(both.err.contains("item mechanic/both has several credential/password fields (credential, password): name one, e.g. --exid mechanic/both/credential"), both.err)
        let none = try set("K", "mechanic/note")
        XCTAssertEqual(none.status, 2, "\(none)")
        XCTAssertTrue(none.err.contains("item mechanic/note has no credential or password field: name one, e.g. --exid mechanic/note/FIELD (fields: text)"), none.err)
        let absent = try set("K", "mechanic/absent")
        XCTAssertEqual(absent.status, 2, "\(absent)")
        XCTAssertTrue(absent.err.contains("isn't an item in the \"mechanic\" vault"), absent.err)
        let account = try set("K", "mechanic/both/credential", ["--account", "nowhere.1password.com"])
        XCTAssertEqual(account.status, 2, "\(account)")
        XCTAssertTrue(account.err.contains("no account found for filter \"nowhere.1password.com\""), account.err)
        for bad in ["mechanic", "mechanic//x", "-x/item", "a/b/c/d"] {
            let r = try set("K", bad)
            XCTAssertEqual(r.status, 2, "\(bad): \(r)")
            XCTAssertTrue(r.err.contains("use VAULT/ITEM (its credential or password field), VAULT/ITEM/FIELD or op://VAULT/ITEM/FIELD"), r.err)
        }
        let region = try set("K", "mechanic/both/credential", ["--region", "eu-west-1"])
        XCTAssertEqual(region.status, 2, "\(region)")
        XCTAssertTrue(region.err.contains("--region is only used with --vault aws.params"), region.err)
        XCTAssertEqual(try h.machine.snapshot(), before, "a refused set changes nothing")
    }

    func testAnItemThatBecameAmbiguousStaysLockedAtUnlockWithTheReason() throws {
        try h.machine.opItem("op://mechanic/pat/credential", value: "ghs_" + freshToken())
        XCTAssertEqual(try set("TOKEN", "mechanic/pat").status, 0)
        try h.machine.opItem("op://mechanic/pat/password", value: "second")
        try h.ok(["set", "--for", "mechanic", "--key", "OTHER", "--env", "prod", "--org", "acme", "--vault", "os.secure"], stdin: "v")
        let r = try h.ok(["unlock", "--for", "mechanic", "--env", "prod"])
        XCTAssertTrue(r.err.contains("warning: acme.prod.TOKEN stays locked: 1password mechanic/pat: item mechanic/pat has several credential/password fields"), r.err)
        XCTAssertEqual(try h.keyrack(["get", "--for", "mechanic", "--key", "TOKEN", "--env", "prod", "--value"]).status, 3)
    }
}
