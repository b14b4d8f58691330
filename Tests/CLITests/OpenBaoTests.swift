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
        XCTAssertTrue(none.err.contains("no OpenBao login for 'human': run `bao login` or export BAO_TOKEN"), none.err)

        var env = bao
        env["BAO_TOKEN"] = token
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

    func testMissingFieldMissingPathAndForbiddenAreDistinctAndUnlockNothing() throws {
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(randomSecret())", "user=app"])
        try server.ok(["kv", "put", "secret/other/x", "v=\(randomSecret())"])
        let token = try server.ok(["token", "create", "-field=token", "-policy=fleet"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try h.sshOwner("human")
        try defaults("human")
        try h.ok(["set", "--key", "OK", "--env", "prod", "--org", "acme", "--vault", "os.secure"], stdin: "local")
        var env = bao
        env["BAO_TOKEN"] = token
        let cases: [(exid: String, message: String)] = [
            ("secret/fleet/db#nope", "the secret secret/fleet/db has no field 'nope' (its fields are password, user): fix the #FIELD of --exid"),
            ("secret/fleet/gone#password", "no secret at secret/fleet/gone on OpenBao at \(server.address) (404)"),
            ("secret/other/x#v", "OpenBao at \(server.address) denied reading secret/other/x (403)"),
        ]
        for c in cases {
            try h.ok(["set", "--key", "REMOTE", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", c.exid])
            let r = try h.keyrack(["unlock", "--env", "prod"], env: env)
            XCTAssertEqual(r.status, 3, "\(c.exid): \(r)")
            XCTAssertTrue(r.err.contains(c.message), "\(c.exid): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)")
            XCTAssertTrue(try status("human").isEmpty, "\(c.exid): nothing reached the daemon, not even the os.secure key")
        }
        // A bad reference is a usage error at set.
        let bad = try h.keyrack(["set", "--key", "X", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "secret/fleet/db"])
        XCTAssertEqual(bad.status, 2, bad.description)
        XCTAssertTrue(bad.err.contains("use MOUNT/PATH#FIELD"), bad.err)
    }

    // MARK: AppRole

    func testAppRoleLoginFromOSSecureKeysIsRevokedBeforeUnlockReturns() throws {
        let value = randomSecret("fleet")
        try server.ok(["kv", "put", "secret/fleet/robot", "token=\(value)"])
        try server.ok(["auth", "enable", "approle"])
        try server.ok(["write", "auth/approle/role/seaturtle", "token_policies=fleet", "token_ttl=1h"])
        let roleID = try server.ok(["read", "-field=role_id", "auth/approle/role/seaturtle/role-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let secretID = try server.ok(["write", "-f", "-field=secret_id", "auth/approle/role/seaturtle/secret-id"]).trimmingCharacters(in: .whitespacesAndNewlines)

        let owner = "seaturtle"
        try h.sshOwner(owner)
        // The AppRole credentials: os.secure keys of the robot's own manifest, in an env never unlocked.
        try h.ok(["set", "--for", owner, "--key", "ROLE_ID", "--env", "openbao", "--org", "@all", "--vault", "os.secure"], stdin: roleID)
        try h.ok(["set", "--for", owner, "--key", "SECRET_ID", "--env", "openbao", "--org", "@all", "--vault", "os.secure"], stdin: secretID)
        try h.ok(["set", "--for", owner, "--key", "FLEET_TOKEN", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "secret/fleet/robot#token"])
        try defaults(owner, ["--openbao-login", "approle", "--openbao-role-id-key", "@all.openbao.ROLE_ID", "--openbao-secret-id-key", "@all.openbao.SECRET_ID"])

        let r = try h.ok(["unlock", "--for", owner, "--env", "prod"], env: bao)
        XCTAssertTrue(r.out.contains("unlocked 1 key(s)"), r.out)
        XCTAssertFalse(r.out.contains(secretID) || r.err.contains(secretID))
        XCTAssertEqual(try h.ok(["get", "--for", owner, "--key", "acme.prod.FLEET_TOKEN", "--value"]).out, value)
        XCTAssertEqual(try status(owner).map { $0["key"] as? String }, ["FLEET_TOKEN"], "the AppRole credentials are not handed to the daemon")

        let logins = try server.auditedLogins(path: "auth/approle/login")
        XCTAssertEqual(logins.count, 1, "one AppRole login per unlock")
        for accessor in logins {
            let lookup = try server.bao(["token", "lookup", "-accessor", accessor])
            XCTAssertNotEqual(lookup.status, 0, "the login token is revoked once unlock returns: \(lookup)")
        }
        XCTAssertTrue(try server.auditedPaths().contains("auth/token/revoke-self"), "revoked with revoke-self")
        // A wrong secret_id: the login is refused, exit 3.
        try h.ok(["set", "--for", owner, "--key", "SECRET_ID", "--env", "openbao", "--org", "@all", "--vault", "os.secure"], stdin: "00000000-0000-0000-0000-000000000000")
        let refused = try h.keyrack(["unlock", "--for", owner, "--env", "prod"], env: bao)
        XCTAssertEqual(refused.status, 3, refused.description)
        XCTAssertTrue(refused.err.contains("refused the approle login"), refused.err)
    }

    // MARK: unreachable, untrusted, sealed

    func testWrongCATimeoutAndSealedServerAreDistinctErrors() throws {
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(randomSecret())"])
        let token = try server.ok(["token", "create", "-field=token", "-policy=fleet"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try h.sshOwner("human")
        try h.ok(["set", "--key", "DB", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "secret/fleet/db#password"])
        var env = bao
        env["BAO_TOKEN"] = token

        // A CA that did not sign the server's certificate (made now by openssl): exit 1.
        let otherCA = h.machine.dir.file("other-ca.pem").path
        let made = try Run.process("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                               "-keyout", h.machine.dir.file("other-ca.key").path, "-out", otherCA, "-days", "1", "-subj", "/CN=not the fleet CA"])
        XCTAssertEqual(made.status, 0, made.description)
        try h.ok(["set-default", "--openbao-addr", server.address, "--openbao-cacert", otherCA])
        let untrusted = try h.keyrack(["unlock", "--env", "prod"], env: env)
        XCTAssertEqual(untrusted.status, 1, untrusted.description)
        XCTAssertTrue(untrusted.err.contains("TLS with OpenBao at \(server.address) failed: the server's certificate is not signed by a trusted CA: pass the cluster's CA with --openbao-cacert"), untrusted.err)

        // The environment's CA and address when the manifest has none (VAULT_CACERT, VAULT_ADDR).
        try h.ok(["set-default", "--clear-openbao"])
        env["VAULT_ADDR"] = server.address
        env["VAULT_CACERT"] = server.caFile
        try h.ok(["unlock", "--env", "prod"], env: env)
        try h.ok(["relock"])

        // A listener that accepts and never answers: a timeout (VAULT_CLIENT_TIMEOUT), exit 1.
        let (silent, port) = try silentListener()
        defer { close(silent) }
        var slow = env
        slow["VAULT_ADDR"] = "https://127.0.0.1:\(port)"
        slow["VAULT_CLIENT_TIMEOUT"] = "1"
        let timedOut = try h.keyrack(["unlock", "--env", "prod"], env: slow)
        XCTAssertEqual(timedOut.status, 1, timedOut.description)
        XCTAssertTrue(timedOut.err.contains("OpenBao at https://127.0.0.1:\(port) did not answer within 1s"), timedOut.err)

        // Nothing listening: unreachable, exit 1.
        close(silent)
        let refused = try h.keyrack(["unlock", "--env", "prod"], env: slow)
        XCTAssertEqual(refused.status, 1, refused.description)
        XCTAssertTrue(refused.err.contains("cannot reach OpenBao at https://127.0.0.1:\(port): connection refused"), refused.err)

        // Sealed: exit 3 and the operator's next step.
        try server.ok(["operator", "seal"])
        let sealed = try h.keyrack(["unlock", "--env", "prod"], env: env)
        XCTAssertEqual(sealed.status, 3, sealed.description)
        XCTAssertTrue(sealed.err.contains("OpenBao at \(server.address) is sealed: ask an operator to unseal it (bao operator unseal)"), sealed.err)
        XCTAssertTrue(try status("human").isEmpty)
    }

    /// A TCP socket on 127.0.0.1 that is listening (the kernel completes handshakes) but never read.
    private func silentListener() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &len) == 0 } }
        XCTAssertTrue(bound, "listen on 127.0.0.1")
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}
