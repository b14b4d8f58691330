import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackOpenBao
import TestSupport
import XCTest
import KeyrackNames

/// `unlock`'s openbao keys in-process against a real `bao server -dev -dev-tls` (TestSupport's
/// OpenBaoDevServer, configured with the real `bao` CLI): the use case with the real OpenBaoFetch
/// (UnlockBench: fake daemon and terminal, the environment given per call). "Nothing unlocked"
/// is nothing handed to the daemon; the server's audit log is the oracle for logins.
final class OpenBaoUnlockTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var bench: UnlockBench!
    private var owner: OwnerName!

    override func setUpWithError() throws {
        server = try OpenBaoDevServer()
        bench = try UnlockBench("keyrack-bao-unlock")
        owner = try bench.owner("human")
        try server.policy("fleet", #"path "secret/data/fleet/*" { capabilities = ["read"] }"#)
    }

    override func tearDown() {
        server?.stop()
        bench?.remove()
    }

    private func unlock(_ environment: [String: String]) throws -> UnlockResult { try bench.unlock(owner, env: "prod", environment: environment) }

    private func assertRefused(_ environment: [String: String], exit: Int32, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        assertCLIError(try unlock(environment), exit: exit, text, file: file, line: line)
        XCTAssertEqual(bench.daemon.granted.count, 0, "nothing reached the daemon", file: file, line: line)
    }

    private func set(_ key: String, env: String = "prod", org: String = "acme", vault: Vault = .openBao, exid: String? = nil, addr: String? = nil, value: String? = nil) throws {
        try bench.set(owner, "\(org).\(env).\(key)", vault, exid: exid, value: value, addr: addr)
    }

    private func token() throws -> String {
        try server.ok(["token", "create", "-field=token", "-policy=fleet"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The AppRole seaturtle (policy fleet), its ids kept as os.secure keys of an env never unlocked.
    private func appRole() throws -> String {
        try server.ok(["auth", "enable", "approle"])
        try server.ok(["write", "auth/approle/role/seaturtle", "token_policies=fleet", "token_ttl=1h"])
        let roleID = try server.ok(["read", "-field=role_id", "auth/approle/role/seaturtle/role-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let secretID = try server.ok(["write", "-f", "-field=secret_id", "auth/approle/role/seaturtle/secret-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try set("ROLE_ID", env: "openbao", org: "@all", vault: .osSecure, value: roleID)
        try set("SECRET_ID", env: "openbao", org: "@all", vault: .osSecure, value: secretID)
        try bench.openBao(owner) {
            $0.addr = server.address; $0.cacert = server.caFile; $0.login = .approle
            $0.roleIdKey = try? Slug(validating: "@all.openbao.ROLE_ID"); $0.secretIdKey = try? Slug(validating: "@all.openbao.SECRET_ID")
        }
        return secretID
    }

    // MARK: from OpenBaoTests

    func testMissingFieldMissingPathAndForbiddenAreDistinctAndUnlockNothing() throws {
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(freshToken())", "user=app"])
        try server.ok(["kv", "put", "secret/other/x", "v=\(freshToken())"])
        let env = ["BAO_TOKEN": try token()]
        try bench.openBao(owner) { $0.addr = server.address; $0.cacert = server.caFile }
        try set("OK", vault: .osSecure, value: "local")
        for (exid, message) in [
            ("secret/fleet/db#nope", "the secret secret/fleet/db has no field 'nope' (its fields are password, user): fix the secret's #FIELD"),
            ("secret/fleet/gone#password", "no secret at secret/fleet/gone on OpenBao at \(server.address) (404)"),
            ("secret/other/x#v", "OpenBao at \(server.address) denied reading secret/other/x (403)"),
        ] {
            try set("REMOTE", exid: exid)
            assertRefused(env, exit: 3, message)
            XCTAssertTrue(bench.daemon.log.isEmpty, "\(exid): not even the os.secure key, no daemon started")
        }
        // A bad reference is a usage error at set.
        XCTAssertThrowsError(try set("X", exid: "secret/fleet/db")) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
            XCTAssertEqual((error as? KeyrackError)?.problem, "invalid external id 'secret/fleet/db' for vault openbao")
            XCTAssertEqual((error as? KeyrackError)?.remedy, .give(.exid, "MOUNT/PATH#FIELD (e.g. secret/robots/seaturtle#token)"))
        }
    }

    func testAppRoleLoginFromOSSecureKeysIsRevokedBeforeUnlockReturns() throws {
        let value = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot", "token=\(value)"])
        _ = try appRole()
        try set("FLEET_TOKEN", exid: "secret/fleet/robot#token")

        XCTAssertEqual(try unlock([:]).unlocked.count, 1)
        XCTAssertEqual(bench.daemon.granted.map { "\($0.slug)" }, ["acme.prod.FLEET_TOKEN"], "the AppRole credentials are not handed to the daemon")
        XCTAssertEqual(bench.granted("acme.prod.FLEET_TOKEN"), value)
        XCTAssertEqual(bench.daemon.granted.first?.vault, "openbao:secret/fleet/robot#token")
        let logins = try server.auditedLogins(path: "auth/approle/login")
        XCTAssertEqual(logins.count, 1, "one AppRole login per unlock")
        for accessor in logins {
            XCTAssertNotEqual(try server.bao(["token", "lookup", "-accessor", accessor]).status, 0, "the login token is revoked once unlock returns")
        }
        XCTAssertTrue(try server.auditedPaths().contains("auth/token/revoke-self"), "revoked with revoke-self")

        // A wrong secret_id: the login is refused, exit 3.
        try set("SECRET_ID", env: "openbao", org: "@all", vault: .osSecure, value: "00000000-0000-0000-0000-000000000000")
        bench.daemon = FakeDaemon()
        assertRefused([:], exit: 3, "refused the approle login")
    }

    func testWrongCATimeoutAndSealedServerAreDistinctErrors() throws {
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(freshToken())"])
        try set("DB", exid: "secret/fleet/db#password")
        var env = ["BAO_TOKEN": try token()]

        // A CA that did not sign the server's certificate (made now by openssl): exit 1.
        let otherCA = bench.dir.file("other-ca.pem").path
        let made = try Run.process("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                               "-keyout", bench.dir.file("other-ca.key").path, "-out", otherCA, "-days", "1", "-subj", "/CN=not the fleet CA"])
        XCTAssertEqual(made.status, 0, made.description)
        try bench.openBao(owner) { $0.addr = server.address; $0.cacert = otherCA }
        assertRefused(env, exit: 1, "TLS with OpenBao at \(server.address) failed: the server's certificate is not signed by a trusted CA: pass the cluster's CA (BAO_CACERT or VAULT_CACERT)")

        // The environment's CA and address when the manifest has none (VAULT_CACERT, VAULT_ADDR).
        try bench.openBao(owner, clear: true)
        env["VAULT_ADDR"] = server.address
        env["VAULT_CACERT"] = server.caFile
        XCTAssertEqual(try unlock(env).unlocked.count, 1)
        bench.daemon = FakeDaemon()

        // A listener that accepts and never answers: a timeout (VAULT_CLIENT_TIMEOUT), exit 1.
        let silent = try LoopbackServer()
        var slow = env
        slow["VAULT_ADDR"] = "https://127.0.0.1:\(silent.port)"
        slow["VAULT_CLIENT_TIMEOUT"] = "1"
        assertRefused(slow, exit: 1, "OpenBao at https://127.0.0.1:\(silent.port) did not answer within 1s")
        // Nothing listening: unreachable, exit 1.
        silent.stop()
        assertRefused(slow, exit: 1, "cannot reach OpenBao at https://127.0.0.1:\(silent.port): connection refused")
        // Sealed: exit 3 and the operator's next step.
        try server.ok(["operator", "seal"])
        assertRefused(env, exit: 3, "OpenBao at \(server.address) is sealed: ask an operator to unseal it (bao operator unseal)")
    }

    // MARK: from OpenBaoServerBoundaryTests

    func testALoginGoesOnlyToTheServerItIsConfiguredFor() throws {
        let value = freshToken()
        try server.ok(["kv", "put", "secret/fleet/robot", "token=\(value)"])
        let secretID = try appRole()
        let personToken = try token()
        try set("FLEET", exid: "secret/fleet/robot#token")
        // A key naming another server (plain http to loopback passes `set`): it has no login of its own.
        let other = try LoopbackServer()
        defer { other.stop() }
        try set("ELSEWHERE", exid: "secret/fleet/robot#token", addr: other.address)
        let refusal = "acme.prod.ELSEWHERE names OpenBao at \(other.address), but the login of this owner is configured for \(server.address) and is sent nowhere else; nothing was sent to \(other.address)"

        // AppRole: refused before any connection; the other server sees nothing, the owner's
        // server no login either.
        assertRefused([:], exit: 2, refusal)
        var seen = other.drain()
        XCTAssertEqual(seen.connections, 0)
        XCTAssertFalse(String(decoding: seen.bytes, as: UTF8.self).contains(secretID), "the secret_id never reached another server")
        XCTAssertEqual(try server.auditedLogins(path: "auth/approle/login").count, 0, "nothing was sent before the refusal")

        // A person's token from ~/.vault-token: the same.
        try bench.openBao(owner) { $0.login = .token }
        let home = bench.dir.file("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Data((personToken + "\n").utf8).write(to: home.appendingPathComponent(".vault-token"))
        assertRefused(["HOME": home.path], exit: 2, refusal)
        seen = other.drain()
        XCTAssertEqual(seen.connections, 0)
        XCTAssertFalse(String(decoding: seen.bytes, as: UTF8.self).contains(personToken), "the token never reached another server")

        // The same server under another spelling is the owner's server: the unlock reads from it with its login.
        try set("ELSEWHERE", exid: "secret/fleet/robot#token", addr: server.address.uppercased() + "/")
        XCTAssertEqual(try unlock(["HOME": home.path]).unlocked.count, 2)
        XCTAssertEqual(bench.granted("acme.prod.ELSEWHERE"), value)
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
        try bench.openBao(owner) { $0.addr = hostile.address; $0.login = .token }
        let env = ["BAO_TOKEN": "s.person-token-\(freshToken())"]
        func assertEscaped(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 || (0x7f..<0xa0).contains($0.value) },
                           "no raw control character: \(text.debugDescription)", file: file, line: line)
        }

        try set("EVIL", exid: "secret/evil/x#v")
        XCTAssertThrowsError(try unlock(env)) { error in
            let (message, code) = cliReport(error)
            XCTAssertEqual(code, 1, message)
            assertEscaped(message)
            XCTAssertTrue(message.contains(#"answered HTTP 500: \u{1b}]0;PWNED\u{7}\u{1b}[2Jcleared\u{d} error: forged; \u{9b}31m"#), message)
            // `--json`'s error object carries the same escaped line.
            let json = ErrorReport(line: "\(error)", exit: code)
            assertEscaped(json.message)
            XCTAssertEqual(json.exit, 1)
        }
        _ = try bench.store.deleteKey(owner: owner, slug: try Slug(validating: "acme.prod.EVIL"), identities: try bench.identities(owner))
        try set("FIELDS", exid: "secret/fields/y#v")
        XCTAssertThrowsError(try unlock(env)) { error in
            let (message, code) = cliReport(error)
            XCTAssertEqual(code, 3, message)
            assertEscaped(message)
            XCTAssertTrue(message.contains(#"its fields are \u{1b}[31mred\u{d}, ok\u{a}error: forged second line"#), message)
        }
    }

    /// A real OpenBao whose (trusted) certificate is issued for another host name: the one line
    /// says which host it does not cover and what to change, exit 1 as other TLS failures.
    func testACertificateForAnotherHostNameSaysWhichHostAndWhatToDo() throws {
        server.stop()
        let dir = bench.dir
        func openssl(_ args: [String]) throws { XCTAssertEqual(try Run.process("openssl", args).status, 0, "\(args)") }
        let ca = dir.file("ca.pem").path, caKey = dir.file("ca.key").path
        let leaf = dir.file("leaf.pem").path, leafKey = dir.file("leaf.key").path, csr = dir.file("leaf.csr").path
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey, "-out", ca,
                     "-days", "1", "-subj", "/CN=fleet CA"])
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", leafKey, "-out", csr,
                     "-subj", "/CN=bao.other.example"])
        let ext = try dir.write("leaf.ext", Array("subjectAltName=DNS:bao.other.example\n".utf8))
        try openssl(["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", leaf, "-days", "1", "-extfile", ext.path])
        server = try OpenBaoDevServer(otherListener: (leaf, leafKey))
        let port = try XCTUnwrap(server.otherPort)
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(freshToken())"])
        try set("DB", exid: "secret/fleet/db#password")

        for host in ["127.0.0.1", "localhost"] {
            let address = "https://\(host):\(port)"
            try bench.openBao(owner) { $0.addr = address; $0.cacert = ca }
            assertRefused(["BAO_TOKEN": server.rootToken], exit: 1, "TLS with OpenBao at \(address) failed: its certificate does not cover the host \(host): use the host name (or IP) its certificate names in the address, or have the server's certificate issued for \(host)")
            XCTAssertThrowsError(try unlock(["BAO_TOKEN": server.rootToken])) { XCTAssertFalse(cliReport($0).message.contains("NIOSSL")) }
        }
    }
}
