import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackOpenBao
import TestSupport
import XCTest
import KeyrackNames

/// `unlock`'s openbao keys in-process against a real `bao server -dev -dev-tls` (TestSupport's
/// OpenBaoDevServer, configured with the real `bao` CLI): the use case with the real OpenBaoFetch,
/// a fake daemon and terminal, the environment given per call. What the CLI printed and exited
/// with is asserted on the error value (`cliMessage`, `exitCode`, CLIReportable); "nothing
/// unlocked" is "nothing reached the daemon". The server's audit log is the oracle for logins.
final class OpenBaoUnlockTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private var daemon: FakeDaemon!
    private var events: [UnlockEvent] = []
    private var owner: OwnerName!

    override func setUpWithError() throws {
        server = try OpenBaoDevServer()
        dir = try TempDirectory("keyrack-bao-unlock")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        daemon = FakeDaemon()
        events = []
        owner = try OwnerName("human")
        _ = try store.initialise(owner: owner, uid: nil,
                                 request: RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: .age(AgeRecipientSpec(postQuantum: false))))
        try server.policy("fleet", #"path "secret/data/fleet/*" { capabilities = ["read"] }"#)
    }

    override func tearDown() {
        server?.stop()
        dir?.remove()
    }

    private func unlock(_ environment: [String: String]) throws -> UnlockResult {
        var use = Unlock(store: store, terminal: FakeTerminal(), daemon: daemon, clock: FakeClock(), events: { [unowned self] in events.append($0) },
                         fetchRemote: { try OpenBaoFetch.fetch($0, manifest: $1, owner: $2, interaction: $3, environment: environment) })
        use.environment = environment
        return try use.run(UnlockRequest(owner: owner, env: "prod", workingDirectory: dir.url))
    }

    /// What the CLI prints and exits with for `error`, as it renders any CLIReportable: its
    /// message through Terminal.printError's escaping (TextFormat.printable), one line.
    private func report(_ error: Error, file: StaticString = #filePath, line: UInt = #line) -> (message: String, exit: Int32) {
        guard let e = error as? CLIReportable else {
            XCTFail("not a reportable error: \(error)", file: file, line: line)
            return ("", -1)
        }
        let printed = TextFormat.printable(e.cliMessage)
        XCTAssertFalse(printed.contains("\n"), "one line: \(printed)", file: file, line: line)
        return (printed, e.exitCode)
    }

    private func assertRefused(_ environment: [String: String], exit: Int32, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try unlock(environment), file: file, line: line) { error in
            let (message, code) = report(error, file: file, line: line)
            XCTAssertEqual(code, exit, message, file: file, line: line)
            XCTAssertTrue(message.contains(text), message, file: file, line: line)
        }
        XCTAssertEqual(daemon.granted.count, 0, "nothing reached the daemon", file: file, line: line)
    }

    private func set(_ key: String, env: String = "prod", org: String = "acme", vault: Vault, exid: String? = nil, addr: String? = nil, value: String? = nil) throws {
        _ = try store.setKey(owner: owner, try KeySetRequest(slug: try Slug(validating: "\(org).\(env).\(key)"), vault: vault, exid: exid, mech: nil, maxDuration: nil,
                                                         value: value.map { Array($0.utf8) }, addr: addr),
                         identities: try store.identities(for: owner))
    }

    private func defaults(_ edit: (inout OpenBaoSettings) -> Void) throws {
        var s = OpenBaoSettings()
        edit(&s)
        _ = try OpenBaoDefaults.set(owner: owner, changes: s, clear: false, store: store, identities: { try self.store.identities(for: self.owner) })
    }

    private func token() throws -> String {
        try server.ok(["token", "create", "-field=token", "-policy=fleet"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func appRole() throws -> (roleID: String, secretID: String) {
        try server.ok(["auth", "enable", "approle"])
        try server.ok(["write", "auth/approle/role/seaturtle", "token_policies=fleet", "token_ttl=1h"])
        let roleID = try server.ok(["read", "-field=role_id", "auth/approle/role/seaturtle/role-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let secretID = try server.ok(["write", "-f", "-field=secret_id", "auth/approle/role/seaturtle/secret-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        return (roleID, secretID)
    }

    private func slug(_ text: String) -> Slug { try! Slug(validating: text) }

    // MARK: from OpenBaoTests

    func testMissingFieldMissingPathAndForbiddenAreDistinctAndUnlockNothing() throws {
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(freshToken())", "user=app"])
        try server.ok(["kv", "put", "secret/other/x", "v=\(freshToken())"])
        let env = ["BAO_TOKEN": try token()]
        try defaults { $0.addr = server.address; $0.cacert = server.caFile }
        try set("OK", vault: .osSecure, value: "local")
        let cases: [(exid: String, message: String)] = [
            ("secret/fleet/db#nope", "the secret secret/fleet/db has no field 'nope' (its fields are password, user): fix the #FIELD of --exid"),
            ("secret/fleet/gone#password", "no secret at secret/fleet/gone on OpenBao at \(server.address) (404)"),
            ("secret/other/x#v", "OpenBao at \(server.address) denied reading secret/other/x (403)"),
        ]
        for c in cases {
            try set("REMOTE", vault: .openBao, exid: c.exid)
            assertRefused(env, exit: 3, c.message)
            XCTAssertTrue(daemon.log.isEmpty, "\(c.exid): not even the os.secure key, no daemon started")
        }
        // A bad reference is a usage error at set.
        XCTAssertThrowsError(try set("X", vault: .openBao, exid: "secret/fleet/db")) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
            XCTAssertTrue("\(error)".contains("use MOUNT/PATH#FIELD"), "\(error)")
        }
    }

    func testAppRoleLoginFromOSSecureKeysIsRevokedBeforeUnlockReturns() throws {
        let value = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot", "token=\(value)"])
        let (roleID, secretID) = try appRole()
        // The AppRole credentials: os.secure keys of the robot's own manifest, in an env never unlocked.
        try set("ROLE_ID", env: "openbao", org: "@all", vault: .osSecure, value: roleID)
        try set("SECRET_ID", env: "openbao", org: "@all", vault: .osSecure, value: secretID)
        try set("FLEET_TOKEN", vault: .openBao, exid: "secret/fleet/robot#token")
        try defaults {
            $0.addr = server.address; $0.cacert = server.caFile; $0.login = .approle
            $0.roleIdKey = slug("@all.openbao.ROLE_ID"); $0.secretIdKey = slug("@all.openbao.SECRET_ID")
        }

        let result = try unlock([:])
        XCTAssertEqual(result.unlocked.count, 1)
        XCTAssertEqual(daemon.granted.map(\.slug), [slug("acme.prod.FLEET_TOKEN")], "the AppRole credentials are not handed to the daemon")
        XCTAssertEqual(daemon.granted.first?.value, Array(value.utf8))
        XCTAssertEqual(daemon.granted.first?.vault, "openbao:secret/fleet/robot#token")

        let logins = try server.auditedLogins(path: "auth/approle/login")
        XCTAssertEqual(logins.count, 1, "one AppRole login per unlock")
        for accessor in logins {
            let lookup = try server.bao(["token", "lookup", "-accessor", accessor])
            XCTAssertNotEqual(lookup.status, 0, "the login token is revoked once unlock returns: \(lookup)")
        }
        XCTAssertTrue(try server.auditedPaths().contains("auth/token/revoke-self"), "revoked with revoke-self")

        // A wrong secret_id: the login is refused, exit 3.
        try set("SECRET_ID", env: "openbao", org: "@all", vault: .osSecure, value: "00000000-0000-0000-0000-000000000000")
        let before = daemon.granted.count
        XCTAssertThrowsError(try unlock([:])) { error in
            let (message, code) = report(error)
            XCTAssertEqual(code, 3, message)
            XCTAssertTrue(message.contains("refused the approle login"), message)
        }
        XCTAssertEqual(daemon.granted.count, before)
    }

    func testWrongCATimeoutAndSealedServerAreDistinctErrors() throws {
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(freshToken())"])
        try set("DB", vault: .openBao, exid: "secret/fleet/db#password")
        var env = ["BAO_TOKEN": try token()]

        // A CA that did not sign the server's certificate (made now by openssl): exit 1.
        let otherCA = dir.file("other-ca.pem").path
        let made = try Run.process("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                               "-keyout", dir.file("other-ca.key").path, "-out", otherCA, "-days", "1", "-subj", "/CN=not the fleet CA"])
        XCTAssertEqual(made.status, 0, made.description)
        try defaults { $0.addr = server.address; $0.cacert = otherCA }
        assertRefused(env, exit: 1, "TLS with OpenBao at \(server.address) failed: the server's certificate is not signed by a trusted CA: pass the cluster's CA with --openbao-cacert")

        // The environment's CA and address when the manifest has none (VAULT_CACERT, VAULT_ADDR).
        _ = try OpenBaoDefaults.set(owner: owner, changes: OpenBaoSettings(), clear: true, store: store, identities: { try self.store.identities(for: self.owner) })
        env["VAULT_ADDR"] = server.address
        env["VAULT_CACERT"] = server.caFile
        XCTAssertEqual(try unlock(env).unlocked.count, 1)

        // A listener that accepts and never answers: a timeout (VAULT_CLIENT_TIMEOUT), exit 1.
        let silent = try LoopbackServer()
        var slow = env
        slow["VAULT_ADDR"] = "https://127.0.0.1:\(silent.port)"
        slow["VAULT_CLIENT_TIMEOUT"] = "1"
        let granted = daemon.granted.count
        XCTAssertThrowsError(try unlock(slow)) { error in
            XCTAssertEqual(report(error).exit, 1)
            XCTAssertTrue(report(error).message.contains("OpenBao at https://127.0.0.1:\(silent.port) did not answer within 1s"), report(error).message)
        }
        // Nothing listening: unreachable, exit 1.
        silent.stop()
        XCTAssertThrowsError(try unlock(slow)) { error in
            XCTAssertEqual(report(error).exit, 1)
            XCTAssertTrue(report(error).message.contains("cannot reach OpenBao at https://127.0.0.1:\(silent.port): connection refused"), report(error).message)
        }
        // Sealed: exit 3 and the operator's next step.
        try server.ok(["operator", "seal"])
        XCTAssertThrowsError(try unlock(env)) { error in
            XCTAssertEqual(report(error).exit, 3)
            XCTAssertTrue(report(error).message.contains("OpenBao at \(server.address) is sealed: ask an operator to unseal it (bao operator unseal)"), report(error).message)
        }
        XCTAssertEqual(daemon.granted.count, granted, "no failed unlock handed anything over")
    }

    // MARK: from OpenBaoServerBoundaryTests

    func testALoginGoesOnlyToTheServerItIsConfiguredFor() throws {
        let value = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot", "token=\(value)"])
        let (roleID, secretID) = try appRole()
        let personToken = try token()
        try set("ROLE_ID", env: "openbao", org: "@all", vault: .osSecure, value: roleID)
        try set("SECRET_ID", env: "openbao", org: "@all", vault: .osSecure, value: secretID)
        try defaults {
            $0.addr = server.address; $0.cacert = server.caFile; $0.login = .approle
            $0.roleIdKey = slug("@all.openbao.ROLE_ID"); $0.secretIdKey = slug("@all.openbao.SECRET_ID")
        }
        try set("FLEET", vault: .openBao, exid: "secret/fleet/robot#token")
        // A key naming another server (plain http to loopback passes `set`): it has no login of its own.
        let other = try LoopbackServer()
        defer { other.stop() }
        try set("ELSEWHERE", vault: .openBao, exid: "secret/fleet/robot#token", addr: other.address)
        let refusal = "acme.prod.ELSEWHERE names OpenBao at \(other.address), but the login of this owner is configured for \(server.address) and is sent nowhere else; nothing was sent to \(other.address)"

        // AppRole: refused before any connection; the other server sees nothing, the owner's
        // server no login either.
        assertRefused([:], exit: 2, refusal)
        var seen = other.drain()
        XCTAssertEqual(seen.connections, 0)
        XCTAssertFalse(String(decoding: seen.bytes, as: UTF8.self).contains(secretID), "the secret_id never reached another server")
        XCTAssertEqual(try server.auditedLogins(path: "auth/approle/login").count, 0, "nothing was sent before the refusal")

        // A person's token from ~/.vault-token: the same.
        try defaults { $0.login = .token }
        let home = dir.file("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Data((personToken + "\n").utf8).write(to: home.appendingPathComponent(".vault-token"))
        assertRefused(["HOME": home.path], exit: 2, refusal)
        seen = other.drain()
        XCTAssertEqual(seen.connections, 0)
        XCTAssertFalse(String(decoding: seen.bytes, as: UTF8.self).contains(personToken), "the token never reached another server")

        // The same server under another spelling is the owner's server: the unlock reads from it with its login.
        try set("ELSEWHERE", vault: .openBao, exid: "secret/fleet/robot#token", addr: server.address.uppercased() + "/")
        XCTAssertEqual(try unlock(["HOME": home.path]).unlocked.count, 2)
        XCTAssertEqual(daemon.granted.first { $0.slug == slug("acme.prod.ELSEWHERE") }?.value, Array(value.utf8))
        XCTAssertEqual(other.drain().connections, 0)
    }

    /// A server's words reach the terminal escaped and on one line: an OpenBao `errors` entry
    /// that would retitle and clear the terminal, and field names holding newlines and colours.
    func testAHostileServersErrorTextReachesTheTerminalEscapedOnOneLine() throws {
        server.stop()
        let hostile = try LoopbackServer { head in
            if head.contains("/v1/sys/internal/ui/mounts/") {
                return LoopbackServer.json(status: 200, #"{"data":{"path":"secret/","type":"kv","options":{"version":"1"}}}"#)
            }
            if head.hasPrefix("GET /v1/secret/fields/") {
                return LoopbackServer.json(status: 200, #"{"data":{"ok\nerror: forged second line":"1","\u001b[31mred\r":"2"}}"#)
            }
            return LoopbackServer.json(status: 500, #"{"errors":["\u001b]0;PWNED\u0007\u001b[2Jcleared\r\nerror: forged","\u009b31m"]}"#)
        }
        defer { hostile.stop() }
        try defaults { $0.addr = hostile.address; $0.login = .token }
        let env = ["BAO_TOKEN": "s.person-token-\(freshToken())"]
        func assertEscaped(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 || (0x7f..<0xa0).contains($0.value) },
                           "no raw control character: \(text.debugDescription)", file: file, line: line)
        }

        try set("EVIL", vault: .openBao, exid: "secret/evil/x#v")
        XCTAssertThrowsError(try unlock(env)) { error in
            let (message, code) = report(error)
            XCTAssertEqual(code, 1, message)
            assertEscaped(message)
            XCTAssertTrue(message.contains(#"answered HTTP 500: \u{1b}]0;PWNED\u{7}\u{1b}[2Jcleared\u{d} error: forged; \u{9b}31m"#), message)
            // `--json`'s error object carries the same escaped line.
            let json = ErrorReport(error as! CLIReportable)
            assertEscaped(json.message)
            XCTAssertEqual(json.exit, 1)
        }
        _ = try store.deleteKey(owner: owner, slug: slug("acme.prod.EVIL"), identities: try store.identities(for: owner))
        try set("FIELDS", vault: .openBao, exid: "secret/fields/y#v")
        XCTAssertThrowsError(try unlock(env)) { error in
            let (message, code) = report(error)
            XCTAssertEqual(code, 3, message)
            assertEscaped(message)
            XCTAssertTrue(message.contains(#"its fields are \u{1b}[31mred\u{d}, ok\u{a}error: forged second line"#), message)
        }
    }

    /// A real OpenBao whose (trusted) certificate is issued for another host name: the one line
    /// says which host it does not cover and what to change, exit 1 as other TLS failures.
    func testACertificateForAnotherHostNameSaysWhichHostAndWhatToDo() throws {
        server.stop()
        func openssl(_ args: [String]) throws {
            let r = try Run.process("openssl", args)
            XCTAssertEqual(r.status, 0, r.description)
        }
        let ca = dir.file("ca.pem").path, caKey = dir.file("ca.key").path
        let leaf = dir.file("leaf.pem").path, leafKey = dir.file("leaf.key").path, csr = dir.file("leaf.csr").path
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey, "-out", ca,
                     "-days", "1", "-subj", "/CN=fleet CA"])
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", leafKey, "-out", csr,
                     "-subj", "/CN=bao.other.example"])
        let ext = dir.file("leaf.ext")
        try Data("subjectAltName=DNS:bao.other.example\n".utf8).write(to: ext)
        try openssl(["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", leaf, "-days", "1", "-extfile", ext.path])
        server = try OpenBaoDevServer(otherListener: (leaf, leafKey))
        let port = try XCTUnwrap(server.otherPort)
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(freshToken())"])
        try set("DB", vault: .openBao, exid: "secret/fleet/db#password")

        for host in ["127.0.0.1", "localhost"] {
            let address = "https://\(host):\(port)"
            try defaults { $0.addr = address; $0.cacert = ca }
            XCTAssertThrowsError(try unlock(["BAO_TOKEN": server.rootToken])) { error in
                let (message, code) = report(error)
                XCTAssertEqual(code, 1, message)
                XCTAssertTrue(message.contains("TLS with OpenBao at \(address) failed: its certificate does not cover the host \(host); use the host name (or IP) its certificate names in --openbao-addr, or have the server's certificate issued for \(host) (its CA passed with --openbao-cacert)"), message)
                XCTAssertFalse(message.contains("NIOSSL"), message)
            }
        }
        XCTAssertEqual(daemon.granted.count, 0)
    }
}
