import Foundation
import TestSupport
import XCTest

/// OpenBao dynamic secrets (issue 29, leases) against a real `bao server -dev` whose database
/// secrets engine manages a real PostgreSQL (Debian's, started by the test as the postgres user).
/// The robot logs in with AppRole; the login token creates an orphan lease token of the token
/// role `keyrack-lease`, which reads database/creds/app once for DB_USER and DB_PASSWORD. The
/// oracles are PostgreSQL's (psql logs in with the granted credentials; pg_roles) and OpenBao's
/// (sys/leases, token lookup, the raw audit log, where the lease token is learnt so the test
/// can look for it where it must not be).
final class OpenBaoLeaseTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var pg: PostgresServer!
    private var h: DaemonHarness!
    private let owner = "robot"

    override func setUpWithError() throws {
        pg = try PostgresServer()
        server = try OpenBaoDevServer(rawAudit: true)
        h = try DaemonHarness()
        // The operator's set-up, as docs/openbao.md gives it.
        try server.ok(["secrets", "enable", "database"])
        try server.ok(["write", "database/config/pg", "plugin_name=postgresql-database-plugin", "allowed_roles=app",
                       "connection_url=postgresql://{{username}}:{{password}}@127.0.0.1:\(pg.port)/postgres?sslmode=disable",
                       "username=admin", "password=\(pg.adminPassword)"])
        try server.ok(["write", "database/roles/app", "db_name=pg", "default_ttl=10m", "max_ttl=1h",
                       #"creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#])
        try server.policy("db-lease", """
            path "database/creds/app" { capabilities = ["read"] }
            path "sys/leases/renew" { capabilities = ["update"] }
            path "sys/leases/revoke" { capabilities = ["update"] }
            """)
        try server.policy("robot-login", #"path "auth/token/create/keyrack-lease" { capabilities = ["update"] }"#)
        try server.ok(["write", "auth/token/roles/keyrack-lease", "orphan=true", "allowed_policies=db-lease", "token_period=20m"])
        try server.ok(["auth", "enable", "approle"])
        try server.ok(["write", "auth/approle/role/robot", "token_policies=robot-login", "token_ttl=1h"])
        let roleID = try server.ok(["read", "-field=role_id", "auth/approle/role/robot/role-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let secretID = try server.ok(["write", "-f", "-field=secret_id", "auth/approle/role/robot/secret-id"]).trimmingCharacters(in: .whitespacesAndNewlines)

        try h.sshOwner(owner)
        try h.ok(["set", "--for", owner, "--key", "ROLE_ID", "--env", "openbao", "--org", "@all", "--vault", "os.secure"], stdin: roleID)
        try h.ok(["set", "--for", owner, "--key", "SECRET_ID", "--env", "openbao", "--org", "@all", "--vault", "os.secure"], stdin: secretID)
        for (key, field) in [("DB_USER", "username"), ("DB_PASSWORD", "password")] {
            try h.ok(["set", "--for", owner, "--key", key, "--env", "prod", "--org", "acme", "--vault", "openbao",
                      "--mech", "EPHEMERAL_VIA_OPENBAO_LEASE", "--exid", "database/creds/app#\(field)"])
        }
        try h.ok(["set-default", "--for", owner, "--openbao-addr", server.address, "--openbao-cacert", server.caFile,
                  "--openbao-login", "approle", "--openbao-role-id-key", "@all.openbao.ROLE_ID", "--openbao-secret-id-key", "@all.openbao.SECRET_ID"])
    }

    override func tearDown() {
        h?.tearDown()
        server?.stop()
        pg?.stop()
    }

    private var bao: [String: String?] { ["BAO_TOKEN": nil, "VAULT_TOKEN": nil, "BAO_ADDR": nil, "VAULT_ADDR": nil, "VAULT_CACERT": nil, "BAO_CACERT": nil] }

    private func get(_ key: String) throws -> String {
        try h.ok(["get", "--for", owner, "--key", "acme.prod.\(key)", "--value"]).out
    }

    /// The live leases of database/creds/app, as OpenBao lists them.
    private func leases() throws -> [String] {
        let r = try server.bao(["list", "-format=json", "sys/leases/lookup/database/creds/app"])
        guard r.status == 0 else { return [] }  // 404: none
        return (try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String]) ?? []
    }

    /// The lease tokens keyrack created (from the raw audit log: keyrack never shows them).
    private func leaseTokens() throws -> [String] {
        try server.auditEntries().compactMap { entry in
            guard entry["type"] as? String == "response",
                  (entry["request"] as? [String: Any])?["path"] as? String == "auth/token/create/keyrack-lease" else { return nil }
            return ((entry["response"] as? [String: Any])?["auth"] as? [String: Any])?["client_token"] as? String
        }
    }

    /// auth/token/lookup of `token` as root: exit 0 while it lives.
    private func lookup(_ token: String) throws -> RunResult {
        try server.bao(["write", "-format=json", "auth/token/lookup", "token=\(token)"])
    }

    private func daemonLog() throws -> String {
        try String(contentsOf: h.socketDirectory.appendingPathComponent("daemon.\(owner).log"), encoding: .utf8)
    }

    /// Polls `condition` until true or `seconds` pass (the daemon's sweep decides when).
    private func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }

    func testUnlockGrantsAWorkingDatabaseLoginAndRelockDropsTheRole() throws {
        // No lease role: refused before any connection, one line, exit 2, nothing granted.
        let noRole = try h.keyrack(["unlock", "--for", owner, "--env", "prod"], env: bao)
        XCTAssertEqual(noRole.status, 2, noRole.description)
        XCTAssertTrue(noRole.err.contains("has no lease token role; nothing was unlocked: `keyrack set-default --for robot --openbao-lease-role ROLE`"), noRole.err)
        XCTAssertEqual(noRole.err.split(separator: "\n").count, 1, noRole.err)
        XCTAssertEqual(try leaseTokens(), [])
        try h.ok(["set-default", "--for", owner, "--openbao-lease-role", "keyrack-lease"])

        let r = try h.ok(["unlock", "--for", owner, "--env", "prod"], env: bao)
        XCTAssertTrue(r.out.contains("unlocked 2 key(s)"), r.out)
        let user = try get("DB_USER"), password = try get("DB_PASSWORD")
        XCTAssertTrue(user.hasPrefix("v-"), user)
        // One read for both fields: one lease, one role, and the pair logs in.
        XCTAssertEqual(try leases().count, 1)
        XCTAssertEqual(try pg.dynamicRoles(), [user])
        let login = try pg.psql(user: user, password: password, "select current_user")
        XCTAssertEqual(login.status, 0, login.description)
        XCTAssertEqual(login.out.trimmingCharacters(in: .whitespacesAndNewlines), user)
        // The grant is capped at the lease (10 m), not the 9 h default.
        XCTAssertTrue(r.err.contains("note: acme.prod.DB_USER is capped to 600s by its OpenBao lease"), r.err)

        // The login token is revoked before unlock returns; the lease token lives on, orphan.
        let logins = try server.auditedLogins(path: "auth/approle/login")
        XCTAssertEqual(logins.count, 1)
        for accessor in logins { XCTAssertNotEqual(try server.bao(["token", "lookup", "-accessor", accessor]).status, 0, "login token revoked") }
        let tokens = try leaseTokens()
        XCTAssertEqual(tokens.count, 1, "one lease token per unlock")
        let leaseToken = try XCTUnwrap(tokens.first)
        XCTAssertTrue(leaseToken.hasPrefix("s.") || leaseToken.hasPrefix("hvs."), "the audit log has the token in clear: \(leaseToken.prefix(12))")
        let alive = try lookup(leaseToken)
        XCTAssertEqual(alive.status, 0, "the lease token outlives the login token: \(alive.err) \(alive.out)")

        // The lease token is nowhere but the daemon's guarded memory: not in output, log, argv, files.
        XCTAssertFalse(r.out.contains(leaseToken) || r.err.contains(leaseToken))
        XCTAssertFalse(try daemonLog().contains(leaseToken), "not in the daemon's log")
        let pid = try XCTUnwrap(h.daemonPID(owner))
        let argv = try String(decoding: Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")), as: UTF8.self)
        XCTAssertFalse(argv.contains(leaseToken), "not in the daemon's argv")
        XCTAssertFalse(try filesContain(h.machine.dir.url, leaseToken), "not in any file under the test's HOME and runtime directory")

        // relock: the lease token revokes itself before relock returns; its lease and the role go.
        try h.ok(["relock", "--for", owner])
        XCTAssertEqual(try leases(), [], "no live lease after relock")
        XCTAssertEqual(try pg.dynamicRoles(), [], "the database role is dropped")
        XCTAssertNotEqual(try pg.psql(user: user, password: password, "select 1").status, 0, "the credentials no longer log in")
        XCTAssertNotEqual(try lookup(leaseToken).status, 0, "the lease token is revoked")
        let log = try daemonLog()
        XCTAssertTrue(log.contains("revoked the credential of acme.prod.DB_USER"), log)
        XCTAssertFalse(log.contains(leaseToken))
    }

    func testAnExpiredGrantsLeaseAndAStoppedDaemonsLeaseAreRevoked() throws {
        try h.ok(["set-default", "--for", owner, "--openbao-lease-role", "keyrack-lease"])
        // A grant of 2 s: the daemon's sweep finds it expired and its revoker revokes the lease token.
        try h.ok(["unlock", "--for", owner, "--env", "prod", "--duration", "2s"], env: bao)
        let user = try get("DB_USER")
        XCTAssertEqual(try pg.dynamicRoles(), [user])
        XCTAssertTrue(try eventually(20) { try leases().isEmpty }, "the lease is revoked at expiry")
        XCTAssertEqual(try pg.dynamicRoles(), [], "the role is dropped at expiry")
        XCTAssertEqual(try h.keyrack(["get", "--for", owner, "--key", "acme.prod.DB_USER", "--value"]).status, 3)

        // The daemon's stop revokes before it exits.
        try h.ok(["unlock", "--for", owner, "--env", "prod"], env: bao)
        let second = try get("DB_USER")
        XCTAssertEqual(try pg.dynamicRoles(), [second])
        try h.ok(["daemon", "stop", "--for", owner])
        XCTAssertTrue(try eventually(10) { try leases().isEmpty }, "the lease is revoked at stop")
        XCTAssertEqual(try pg.dynamicRoles(), [])
        XCTAssertEqual(try leaseTokens().count, 2)
        for token in try leaseTokens() { XCTAssertNotEqual(try lookup(token).status, 0, "every lease token revoked") }
    }

    /// 50 unlock/relock cycles leave no live lease, no database role and no live lease token.
    func testFiftyUnlockRelockCyclesLeaveNoLease() throws {
        try h.ok(["set-default", "--for", owner, "--openbao-lease-role", "keyrack-lease"])
        var users = Set<String>()
        for _ in 0..<50 {
            try h.ok(["unlock", "--for", owner, "--env", "prod"], env: bao)
            users.insert(try get("DB_USER"))
            try h.ok(["relock", "--for", owner])
        }
        XCTAssertEqual(users.count, 50, "a fresh database role per unlock")
        XCTAssertEqual(try leases(), [])
        XCTAssertEqual(try pg.dynamicRoles(), [])
        let tokens = try leaseTokens()
        XCTAssertEqual(tokens.count, 50)
        XCTAssertEqual(try tokens.filter { try lookup($0).status == 0 }, [], "no lease token left alive")
    }

    /// Whether any regular file under `dir` holds `needle`.
    private func filesContain(_ dir: URL, _ needle: String) throws -> Bool {
        let bytes = Array(needle.utf8)
        guard let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return false }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = try? Data(contentsOf: url) else { continue }
            if data.count >= bytes.count, data.range(of: Data(bytes)) != nil { return true }
        }
        return false
    }
}
