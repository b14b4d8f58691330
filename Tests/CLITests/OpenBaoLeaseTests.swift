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
        // The lease (10 m) is renewable and the daemon renews it: the grant keeps the 9 h default.
        XCTAssertFalse(r.err.contains("by its OpenBao lease"), r.err)
        XCTAssertGreaterThan(try grantSeconds("acme.prod.DB_USER"), 600, "not capped at the lease's first TTL")

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

    /// A role whose leases last 3 s (max_ttl 1 m) and a grant of 40 s: the daemon renews the
    /// lease before it ends, so OpenBao's lease lookup shows it renewed (last_renewal set, a
    /// 3 s TTL from there, its expire_time moved past the first one) and PostgreSQL's VALID UNTIL
    /// follows; psql still logs in once the server's clock is past the first expiry, and relock
    /// still revokes (the role leaves pg_roles).
    func testTheDaemonRenewsTheLeaseWhileTheGrantLivesAndRelockStillRevokesIt() throws {
        try h.ok(["set-default", "--for", owner, "--openbao-lease-role", "keyrack-lease"])
        try server.ok(["write", "database/roles/app", "db_name=pg", "default_ttl=3s", "max_ttl=1m",
                       #"creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#])
        let r = try h.ok(["unlock", "--for", owner, "--env", "prod", "--duration", "40s"], env: bao)
        XCTAssertFalse(r.err.contains("capped"), r.err)
        XCTAssertGreaterThan(try grantSeconds("acme.prod.DB_USER"), 30, "the grant has its 40 s, not the lease's 3 s")
        let user = try get("DB_USER"), password = try get("DB_PASSWORD")
        let lease = try XCTUnwrap(try leases().first.map { "database/creds/app/\($0)" })
        let first = try XCTUnwrap(try leaseLookup(lease))
        XCTAssertNil(first.lastRenewal, "not renewed yet")
        XCTAssertEqual(first.renewable, true)
        let firstExpiry = first.expireTime
        XCTAssertEqual(firstExpiry - first.issueTime, 3, accuracy: 0.5, "the role's default_ttl")
        let firstValidUntil = try validUntil(user)

        // Renewed by the daemon, past the first expiry as the server counts it.
        var now = first
        XCTAssertTrue(try eventually(25) {
            now = try XCTUnwrap(try leaseLookup(lease))
            return (now.lastRenewal ?? 0) > firstExpiry
        }, "a renewal after the first expiry (last \(now))")
        XCTAssertGreaterThan(now.expireTime, firstExpiry, "expire_time moved forward")
        let renewed = try XCTUnwrap(now.lastRenewal)
        XCTAssertEqual(now.expireTime - renewed, 3, accuracy: 0.5, "each renewal asks for the lease's first duration again")
        XCTAssertGreaterThan(try validUntil(user), firstValidUntil, "PostgreSQL's VALID UNTIL follows the renewal")
        let login = try pg.psql(user: user, password: password, "select current_user")
        XCTAssertEqual(login.status, 0, "the credentials still log in after the first TTL: \(login)")
        XCTAssertEqual(try get("DB_USER"), user, "the grant still serves the same credentials")
        XCTAssertEqual(try leases(), [lease.components(separatedBy: "/").last!], "still the one lease")

        let log = try daemonLog()
        XCTAssertTrue(log.contains("renewed the lease of acme.prod.DB_PASSWORD, acme.prod.DB_USER for 3s"), log)
        for token in try leaseTokens() { XCTAssertFalse(log.contains(token), "the lease token is not logged") }

        try h.ok(["relock", "--for", owner])
        XCTAssertEqual(try leases(), [], "relock revokes the renewed lease")
        XCTAssertEqual(try pg.dynamicRoles(), [], "the role is gone from pg_roles")
        XCTAssertNotEqual(try pg.psql(user: user, password: password, "select 1").status, 0)
    }

    /// A role whose max_ttl (6 s) is shorter than the grant (1 m): the renewals carry the lease
    /// up to its maximum and no further (OpenBao gives less than asked, or says it is past its
    /// max_ttl), and the grant ends with the lease, well inside its minute, rather than serving
    /// dead credentials.
    func testAGrantEndsWithItsLeaseWhenTheRenewalsMeetTheRolesMaxTTL() throws {
        try h.ok(["set-default", "--for", owner, "--openbao-lease-role", "keyrack-lease"])
        try server.ok(["write", "database/roles/app", "db_name=pg", "default_ttl=2s", "max_ttl=6s",
                       #"creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#])
        try h.ok(["unlock", "--for", owner, "--env", "prod", "--duration", "1m"], env: bao)
        XCTAssertGreaterThan(try grantSeconds("acme.prod.DB_USER"), 50)
        let lease = try XCTUnwrap(try leases().first.map { "database/creds/app/\($0)" })
        var seen = try XCTUnwrap(try leaseLookup(lease))
        let issued = seen.issueTime
        let metMaximum = try eventually(20) {
            if let now = try leaseLookup(lease) { seen = now }
            return try daemonLog().contains("met its maximum")
        }
        let log = try daemonLog()
        XCTAssertTrue(metMaximum, log)
        XCTAssertTrue(log.contains("renewed the lease of acme.prod.DB_PASSWORD, acme.prod.DB_USER for 2s"), log)
        XCTAssertNotNil(seen.lastRenewal, "renewed: \(seen)")
        XCTAssertGreaterThan(seen.expireTime - issued, 3, "carried past its default_ttl: \(seen)")
        // OpenBao counts max_ttl in whole seconds (CalculateTTL truncates both ends).
        XCTAssertLessThanOrEqual(seen.expireTime - issued, 7, "never past the role's max_ttl: \(seen)")
        XCTAssertTrue(try eventually(20) { try h.keyrack(["get", "--for", owner, "--key", "acme.prod.DB_USER", "--value"]).status == 3 },
                      "the 1 m grant ends with the lease")
        XCTAssertTrue(try eventually(20) { try leases().isEmpty && pg.dynamicRoles().isEmpty }, "the lease and its role are gone")
    }

    /// An operator revokes the lease (`bao lease revoke`), then, after a re-unlock, the lease
    /// token (`bao token revoke`, which revokes its leases): the daemon's next renewal finds the
    /// lease gone, and its grants end at once (`get` says expired, exit 3) instead of serving
    /// credentials PostgreSQL no longer knows.
    func testARenewalThatFindsTheLeaseGoneEndsItsGrants() throws {
        try h.ok(["set-default", "--for", owner, "--openbao-lease-role", "keyrack-lease"])
        try server.ok(["write", "database/roles/app", "db_name=pg", "default_ttl=3s", "max_ttl=1m",
                       #"creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#])
        func expired() throws -> Bool { try h.keyrack(["get", "--for", owner, "--key", "acme.prod.DB_USER", "--value"]).status == 3 }

        try h.ok(["unlock", "--for", owner, "--env", "prod", "--duration", "40s"], env: bao)
        let lease = try XCTUnwrap(try leases().first.map { "database/creds/app/\($0)" })
        try server.ok(["lease", "revoke", lease])
        XCTAssertTrue(try eventually(20) { try expired() }, "the grant ends at the renewal that finds its lease gone")
        var log = try daemonLog()
        XCTAssertTrue(log.contains("the lease of acme.prod.DB_PASSWORD, acme.prod.DB_USER is gone"), log)

        try h.ok(["unlock", "--for", owner, "--env", "prod", "--duration", "40s"], env: bao)
        XCTAssertEqual(try leases().count, 1)
        let token = try XCTUnwrap(try leaseTokens().last)
        try server.ok(["token", "revoke", token])
        XCTAssertTrue(try eventually(20) { try expired() }, "the grant ends once its lease token is found revoked")
        log = try daemonLog()
        XCTAssertTrue(log.contains("is gone (its lease token is no longer valid"), log)
        XCTAssertFalse(log.contains(token), "the lease token is not logged")
        XCTAssertEqual(try leases(), [])
        XCTAssertEqual(try pg.dynamicRoles(), [])
    }

    /// OpenBao is sealed while a grant lives: the renewal fails, which the daemon logs (the
    /// server's address and why, no token), and the grant keeps serving until the lease's current
    /// end, then ends with it, long before its own 40 s: never a value past the lease it lives on.
    func testAFailedRenewalIsLoggedAndTheGrantEndsWithTheLease() throws {
        try h.ok(["set-default", "--for", owner, "--openbao-lease-role", "keyrack-lease"])
        try server.ok(["write", "database/roles/app", "db_name=pg", "default_ttl=12s", "max_ttl=1m",
                       #"creation_statements=CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#])
        try h.ok(["unlock", "--for", owner, "--env", "prod", "--duration", "40s"], env: bao)
        let user = try get("DB_USER")
        let tokens = try leaseTokens()
        XCTAssertEqual(tokens.count, 1)
        try server.ok(["operator", "seal"])

        let failed = try eventually(25) {
            try daemonLog().contains("could not renew the lease of acme.prod.DB_PASSWORD, acme.prod.DB_USER: OpenBao at \(server.address) is sealed")
        }
        let log = try daemonLog()
        XCTAssertTrue(failed, log)
        XCTAssertTrue(log.contains("unless a retry before then succeeds"), log)
        for token in tokens { XCTAssertFalse(log.contains(token), "the lease token is not logged") }
        XCTAssertEqual(try get("DB_USER"), user, "the grant keeps its remaining time, up to the lease's end")
        XCTAssertTrue(try eventually(20) { try h.keyrack(["get", "--for", owner, "--key", "acme.prod.DB_USER", "--value"]).status == 3 },
                      "the 40 s grant ends with its unrenewed lease")
    }

    /// The remaining seconds `status --json` gives a grant.
    private func grantSeconds(_ slug: String) throws -> Int {
        let out = try h.ok(["status", "--for", owner, "--json"]).out
        let top = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        let keys = try XCTUnwrap(top["keys"] as? [[String: Any]])
        return try XCTUnwrap(keys.first { $0["slug"] as? String == slug }?["remainingSeconds"] as? Int, out)
    }

    /// What `bao lease lookup` says of a lease (times in seconds since the epoch).
    private struct LeaseLookup: CustomStringConvertible {
        var issueTime: Double
        var expireTime: Double
        var lastRenewal: Double?
        var renewable: Bool?
        var description: String { "issued \(issueTime) expires \(expireTime) renewed \(lastRenewal.map { "\($0)" } ?? "never")" }
    }

    /// Nil once the lease is gone (revoked or expired).
    private func leaseLookup(_ id: String) throws -> LeaseLookup? {
        let r = try server.bao(["lease", "lookup", "-format=json", id])
        guard r.status == 0 else { return nil }
        let top = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let data = try XCTUnwrap(top["data"] as? [String: Any], r.out)
        return LeaseLookup(issueTime: try XCTUnwrap(Self.time(data["issue_time"]), r.out), expireTime: try XCTUnwrap(Self.time(data["expire_time"]), r.out),
                           lastRenewal: Self.time(data["last_renewal"]), renewable: data["renewable"] as? Bool)
    }

    /// An RFC 3339 time as OpenBao writes it (nanoseconds, Z or an offset), in epoch seconds.
    private static func time(_ raw: Any?) -> Double? {
        guard let text = raw as? String, text.count >= 19 else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        guard let base = formatter.date(from: String(text.prefix(19))) else { return nil }
        var rest = text.dropFirst(19)
        var fraction = 0.0
        if rest.first == "." {
            let digits = rest.dropFirst().prefix { $0.isNumber }
            fraction = Double("0." + digits) ?? 0
            rest = rest.dropFirst(1 + digits.count)
        }
        var offset = 0.0
        if let sign = rest.first, sign == "+" || sign == "-" {
            let parts = rest.dropFirst().split(separator: ":").compactMap { Double($0) }
            if parts.count == 2 { offset = (parts[0] * 3600 + parts[1] * 60) * (sign == "+" ? 1 : -1) }
        }
        return base.timeIntervalSince1970 + fraction - offset
    }

    /// PostgreSQL's VALID UNTIL of a role, in epoch seconds.
    private func validUntil(_ role: String) throws -> Double {
        let out = try pg.admin("select extract(epoch from rolvaliduntil) from pg_roles where rolname = '\(role)'")
        return try XCTUnwrap(Double(out.trimmingCharacters(in: .whitespacesAndNewlines)), out)
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
