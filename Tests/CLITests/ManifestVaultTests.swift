import Foundation
import TestSupport
import XCTest

/// `set` per vault, `list`, `del`, and the org taken from `.agent/keyrack.yml`.
final class ManifestVaultTests: XCTestCase {
    var h: ManifestHarness!
    var identity: URL!

    override func setUpWithError() throws {
        h = try ManifestHarness()
        try h.ok(["init", "--for", "seaturtle", "--via", "age"])
        identity = h.keyrackHome.appendingPathComponent("identities/seaturtle.txt")
    }

    override func tearDown() { h = nil }

    private func plaintext() throws -> String {
        let r = try h.ageDecrypt("seaturtle", identity: identity)
        XCTAssertEqual(r.status, 0, "\(r)")
        return r.out
    }

    func testSecureValueFromStdinIsStoredExactlyAndNeverListed() throws {
        let value = "-----BEGIN KEY-----\nline \"two\" # hash\n\ttab: colon\n-----END KEY-----"
        let r = try h.ok(["set", "--for", "seaturtle", "--key", "DEPLOY_KEY", "--env", "prod", "--org", "acme", "--vault", "os.secure", "--max-duration", "30m"],
                         stdin: value + "\n")
        XCTAssertEqual(r.out, "keyrack set: created acme.prod.DEPLOY_KEY for owner seaturtle (vault os.secure, mech PERMANENT_VIA_REPLICA)\n")
        let plain = try plaintext()
        XCTAssertTrue(plain.contains("acme.prod.DEPLOY_KEY: \"-----BEGIN KEY-----\\nline \\\"two\\\" # hash\\n\\ttab: colon\\n-----END KEY-----\""), plain)
        XCTAssertTrue(plain.contains("maxDuration: \"30m\""), plain)
        for args in [["list", "--for", "seaturtle"], ["list", "--for", "seaturtle", "--json"]] {
            let list = try h.ok(args)
            XCTAssertTrue(list.out.contains("acme.prod.DEPLOY_KEY"))
            XCTAssertFalse(list.out.contains("BEGIN KEY"), "list printed a value: \(list.out)")
        }
        let again = try h.ok(["set", "--for", "seaturtle", "--key", "DEPLOY_KEY", "--env", "prod", "--org", "acme", "--vault", "os.secure", "--max-duration", "30m"], stdin: value)
        XCTAssertTrue(again.out.contains("unchanged acme.prod.DEPLOY_KEY"), again.out)
        let changed = try h.ok(["set", "--for", "seaturtle", "--key", "DEPLOY_KEY", "--env", "prod", "--org", "acme", "--vault", "os.secure"], stdin: "other")
        XCTAssertTrue(changed.out.contains("updated acme.prod.DEPLOY_KEY"), changed.out)
        XCTAssertTrue(try plaintext().contains("acme.prod.DEPLOY_KEY: other\n"))
    }

    func testDirectEnvvarDaemonVaults() throws {
        try h.ok(["set", "--for", "seaturtle", "--key", "REGION", "--env", "all", "--org", "acme", "--vault", "os.direct"], stdin: "eu-west-1")
        try h.ok(["set", "--for", "seaturtle", "--key", "HOME_DIR", "--env", "test", "--org", "acme", "--vault", "os.envvar"])
        try h.ok(["set", "--for", "seaturtle", "--key", "SESSION", "--env", "test", "--org", "acme", "--vault", "os.daemon"])
        let direct = h.keyrackHome.appendingPathComponent("direct/seaturtle.yml")
        XCTAssertEqual(try h.mode(direct), 0o600)
        XCTAssertEqual(try String(contentsOf: direct, encoding: .utf8), "version: 1\nvalues:\n  acme.all.REGION: eu-west-1\n")
        let plain = try plaintext()
        XCTAssertTrue(plain.contains("secrets: {}"), "only os.secure values live in the manifest: \(plain)")
        XCTAssertFalse(plain.contains("eu-west-1"))
        let json = try ManifestHarness.json(try h.ok(["list", "--for", "seaturtle", "--json"]))
        let keys = try XCTUnwrap(json["keys"] as? [[String: Any]])
        XCTAssertEqual(keys.map { "\($0["slug"]!) \($0["vault"]!) \($0["mech"]!)" }, [
            "acme.all.REGION os.direct PERMANENT_VIA_REPLICA",
            "acme.test.HOME_DIR os.envvar PERMANENT_VIA_REPLICA",
            "acme.test.SESSION os.daemon EPHEMERAL_VIA_SESSION",
        ])
        // --env filter: ORG.all.KEY answers every env.
        let test = try h.ok(["list", "--for", "seaturtle", "--env", "test"])
        XCTAssertEqual(test.out.split(separator: "\n").count, 4, test.out)
        XCTAssertTrue(test.out.hasPrefix("SLUG"), test.out)
        // del removes the direct value too, and is idempotent.
        XCTAssertEqual(try h.ok(["del", "--for", "seaturtle", "--key", "REGION", "--env", "all", "--org", "acme"]).out,
                       "keyrack del: removed acme.all.REGION from owner seaturtle\n")
        XCTAssertEqual(try h.ok(["del", "--for", "seaturtle", "--key", "REGION", "--env", "all", "--org", "acme"]).out,
                       "keyrack del: acme.all.REGION was not set for owner seaturtle (already absent)\n")
        XCTAssertEqual(try String(contentsOf: direct, encoding: .utf8), "version: 1\nvalues: {}\n")
    }

    func testOnePasswordReferenceIsCheckedWithOp() throws {
        try h.opItem("op://keyrack/seaturtle-pat/credential", value: "ghs_value")
        try h.ok(["set", "--for", "seaturtle", "--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "1password", "--exid", "op://keyrack/seaturtle-pat/credential"])
        XCTAssertTrue(try plaintext().contains("exid: \"op://keyrack/seaturtle-pat/credential\"\n    mech: PERMANENT_VIA_REFERENCE"))
        XCTAssertFalse(try plaintext().contains("ghs_value"), "the 1password value is never stored")

        let before = try h.snapshot()
        let missing = try h.keyrack(["set", "--for", "seaturtle", "--key", "NPM_TOKEN", "--env", "sudo", "--vault", "1password", "--exid", "op://keyrack/absent/credential"])
        XCTAssertEqual(missing.status, 2, "\(missing)")
        XCTAssertTrue(missing.err.contains("1password could not read op://keyrack/absent/credential: [ERROR]"), missing.err)
        XCTAssertEqual(try h.snapshot(), before)

        // Without op on PATH the reference is stored unchecked.
        let noOp = try h.keyrack(["set", "--for", "seaturtle", "--key", "NPM_TOKEN", "--env", "sudo", "--vault", "1password", "--exid", "op://keyrack/absent/credential"],
                                 env: ["PATH": "/usr/bin:/bin"])
        XCTAssertEqual(noOp.status, 0, "\(noOp)")
    }

}
