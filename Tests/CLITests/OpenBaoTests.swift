import Foundation
import TestSupport
import XCTest

/// The openbao vault against a real `bao server -dev -dev-tls` (issue 12), with the software
/// logins: a token from the environment and AppRole. Secrets are written with the real `bao`
/// CLI; keyrack reads them over the HTTP API at unlock. The server's file audit log (accessors
/// in clear) is the oracle for "the login token was revoked": `bao token lookup -accessor` must
/// fail for it once unlock has returned.
final class OpenBaoTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var h: DaemonHarness!

    override func setUpWithError() throws {
        server = try OpenBaoDevServer()
        h = try DaemonHarness()
        try server.ok(["secrets", "enable", "-path=kv1", "-version=1", "kv"])
        try server.policy("fleet", #"path "secret/data/fleet/*" { capabilities = ["read"] }"# + "\n" + #"path "kv1/fleet/*" { capabilities = ["read"] }"#)
    }

    override func tearDown() {
        h?.tearDown()
        server?.stop()
    }

    private var bao: [String: String?] { ["BAO_TOKEN": nil, "VAULT_TOKEN": nil, "BAO_ADDR": nil, "VAULT_ADDR": nil, "VAULT_CACERT": nil, "BAO_CACERT": nil] }

    private func defaults(_ owner: String, _ extra: [String] = []) throws {
        try h.ok(["set-default", "--for", owner, "--openbao-addr", server.address, "--openbao-cacert", server.caFile] + extra)
    }

    private func status(_ owner: String) throws -> [[String: Any]] {
        try XCTUnwrap(ManifestHarness.json(try h.ok(["status", "--for", owner, "--json"]))["keys"] as? [[String: Any]])
    }

    // MARK: token from the environment

    func testEnvTokenReadsKVv2AndV1CapsByLeaseShowsReferencesAndDelLeavesTheSecret() throws {
        let db = randomSecret("db"), api = randomSecret("api")
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(db)", "user=app"])
        try server.ok(["write", "kv1/fleet/api", "key=\(api)", "ttl=20m"])
        let token = try server.ok(["token", "create", "-field=token", "-policy=fleet"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try h.sshOwner("human")
        try h.ok(["set", "--key", "DB_PASSWORD", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "secret/fleet/db#password"])
        try h.ok(["set", "--key", "API_KEY", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "kv1/fleet/api#key"])
        try defaults("human")

        // list shows the references, never a value.
        let list = try h.ok(["list"])
        XCTAssertTrue(list.out.contains("openbao:secret/fleet/db#password"), list.out)
        XCTAssertTrue(list.out.contains("openbao:kv1/fleet/api#key"), list.out)
        XCTAssertFalse(list.out.contains(db) || list.out.contains(api), "list never shows a value")

        // No login: a clear error, exit 3, nothing unlocked.
        let none = try h.keyrack(["unlock", "--env", "prod"], env: bao)
        XCTAssertEqual(none.status, 3, none.description)
        XCTAssertEqual(none.err, "error: no OpenBao login for 'human': run `bao login` or export BAO_TOKEN, or configure one with `keyrack set-default --openbao-login cert|approle`\n")
        let noneJSON = try h.keyrack(["unlock", "--env", "prod", "--json"], env: bao)
        XCTAssertTrue(noneJSON.out.contains(#""fix":"keyrack set-default --openbao-login cert|approle""#), noneJSON.out)

        var env = bao
        env["BAO_TOKEN"] = token
        // A CA that did not sign the server's certificate: exit 1, the option that gives the CA named.
        try h.ok(["set-default", "--openbao-cacert", "/etc/ssl/certs/ca-certificates.crt"])
        let untrusted = try h.keyrack(["unlock", "--env", "prod"], env: env)
        XCTAssertEqual(untrusted.status, 1, untrusted.description)
        XCTAssertEqual(untrusted.err, "error: TLS with OpenBao at \(server.address) failed: the server's certificate is not signed by a trusted CA: pass the cluster's CA with --openbao-cacert (or VAULT_CACERT)\n")
        try defaults("human")
        let r = try h.ok(["unlock", "--env", "prod"], env: env)
        XCTAssertTrue(r.out.contains("unlocked 2 key(s)"), r.out)
        XCTAssertTrue(r.err.contains("note: acme.prod.API_KEY is capped to 1200s by its OpenBao lease"), r.err)
        XCTAssertFalse(r.out.contains(db) || r.err.contains(db) || r.err.contains(token), "no value or token in the output")
        XCTAssertEqual(try h.ok(["get", "--key", "acme.prod.DB_PASSWORD", "--value"]).out, db)
        XCTAssertEqual(try h.ok(["get", "--key", "acme.prod.API_KEY", "--value"]).out, api)

        let keys = try status("human")
        let sources = Dictionary(uniqueKeysWithValues: keys.map { ($0["key"] as? String ?? "", $0["vault"] as? String ?? "") })
        XCTAssertEqual(sources["DB_PASSWORD"], "openbao:secret/fleet/db#password")
        XCTAssertEqual(sources["API_KEY"], "openbao:kv1/fleet/api#key")
        let apiLeft = try XCTUnwrap(keys.first { $0["key"] as? String == "API_KEY" }?["remainingSeconds"] as? Int)
        XCTAssertLessThanOrEqual(apiLeft, 1200, "the KV v1 ttl caps the grant")
        XCTAssertGreaterThan(apiLeft, 1100)
        let human = try h.ok(["status"]).out
        XCTAssertTrue(human.contains("from openbao:secret/fleet/db#password"), human)

        // The person's own token is used, never revoked.
        XCTAssertEqual(try server.bao(["token", "lookup", "-format=json"], token: token).status, 0, "keyrack revokes only tokens it logged in for")

        // del removes the reference; the remote secret stays.
        try h.ok(["del", "--key", "DB_PASSWORD", "--env", "prod", "--org", "acme"])
        XCTAssertFalse(try h.ok(["list"]).out.contains("secret/fleet/db"))
        XCTAssertEqual(try server.ok(["kv", "get", "-field=password", "secret/fleet/db"]).trimmingCharacters(in: .newlines), db)
    }

    // Errors (missing field/path, 403, wrong CA, timeout, unreachable, sealed) and the AppRole
    // login's revocation: KeyrackAppTests/OpenBao/OpenBaoUnlockTests.swift, in-process.
}
