import Foundation
import TestSupport
import XCTest

/// Where an OpenBao login and the secrets may go (issue 24): plain http only to this machine's
/// loopback, refused at `set`/`set-default` and again before any connection whatever a
/// hand-edited manifest or BAO_ADDR says; and a login only to the server it is configured for.
/// "Another server" is a loopback listener that records every connection and byte; the off-machine
/// address is TEST-NET-1 (192.0.2.2), which nothing may ever try to reach.
final class OpenBaoServerBoundaryTests: XCTestCase {
    private var h: DaemonHarness!
    private var servers: [LoopbackServer] = []
    private var bao: OpenBaoDevServer?

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.sshOwner("human")
    }

    override func tearDown() {
        servers.forEach { $0.stop() }
        h?.tearDown()
        bao?.stop()
    }

    private let offMachine = "http://192.0.2.2:18300"
    private var clean: [String: String?] {
        ["BAO_TOKEN": nil, "VAULT_TOKEN": nil, "BAO_ADDR": nil, "VAULT_ADDR": nil, "VAULT_CACERT": nil, "BAO_CACERT": nil,
         "VAULT_CLIENT_TIMEOUT": "3"]
    }

    private func recorder() throws -> LoopbackServer {
        let s = try LoopbackServer()
        servers.append(s)
        return s
    }

    /// Rewrites the decrypted manifest with `edit` and encrypts it again to the owner's ssh key
    /// with Debian's `age`, as a person editing it by hand would.
    private func handEdit(_ edit: (String) -> String) throws {
        let key = h.machine.home.appendingPathComponent(".ssh/id_human")
        let plain = try h.machine.ageDecrypt("human", identity: key)
        XCTAssertEqual(plain.status, 0, plain.description)
        let edited = h.machine.dir.file("edited.yml")
        try Data(edit(plain.out).utf8).write(to: edited)
        let r = try Run.process("age", ["-R", key.path + ".pub", "-o", h.machine.manifest("human").path, edited.path])
        XCTAssertEqual(r.status, 0, r.description)
        try FileManager.default.removeItem(at: edited)
    }

    private func assertOneLine(_ r: RunResult, _ text: String, status: Int32 = 2, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, r.description, file: file, line: line)
        XCTAssertTrue(r.err.contains(text), r.err, file: file, line: line)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, "one line: \(r.err)", file: file, line: line)
    }

    func testPlainHTTPOffThisMachineIsRefusedAtSetAndAtUnlockBeforeAnyConnection() throws {
        let refusal = "refusing plain http to \(offMachine): a login and secrets would cross the network in clear; use https://"
        let key = ["--env", "prod", "--org", "acme", "--vault", "openbao"]
        assertOneLine(try h.keyrack(["set", "--key", "DB"] + key + ["--exid", "secret/fleet/db#password", "--openbao-addr", offMachine]), refusal)
        assertOneLine(try h.keyrack(["set-default", "--openbao-addr", offMachine]), refusal)
        assertOneLine(try h.keyrack(["set-default", "--openbao-addr", "http://127.0.0.1@192.0.2.2:18300"]), "with no user@ part")
        XCTAssertFalse(try h.ok(["list"]).out.contains("acme.prod.DB"), "nothing was stored")

        // The owner's server over plain http on loopback (a dev server) is allowed: a recorder.
        let home = try recorder()
        try h.ok(["set-default", "--openbao-addr", home.address, "--openbao-login", "token"])
        try h.ok(["set", "--key", "DB"] + key + ["--exid", "secret/fleet/db#password"])
        try h.ok(["set", "--key", "API"] + key + ["--exid", "secret/fleet/api#key", "--openbao-addr", "http://127.0.0.9:1"])
        var env = clean
        env["BAO_TOKEN"] = "s.person-token-\(freshToken())"

        // A hand-edited key address off the machine: refused before the first connection, the
        // owner's own (loopback) server included, so its token goes nowhere.
        try handEdit { $0.replacingOccurrences(of: "http://127.0.0.9:1", with: self.offMachine) }
        assertOneLine(try h.keyrack(["unlock", "--env", "prod"], env: env), refusal)
        var seen = home.drain()
        XCTAssertEqual(seen.connections, 0, "no connection at all: \(String(decoding: seen.bytes, as: UTF8.self))")

        // A hand-edited default address, and BAO_ADDR when the manifest has none: the same.
        try h.ok(["del", "--key", "API", "--env", "prod", "--org", "acme"])
        try handEdit { $0.replacingOccurrences(of: home.address, with: self.offMachine) }
        assertOneLine(try h.keyrack(["unlock", "--env", "prod"], env: env), refusal)
        try h.ok(["set-default", "--clear-openbao"])
        env["BAO_ADDR"] = offMachine
        assertOneLine(try h.keyrack(["unlock", "--env", "prod"], env: env), refusal)
        seen = home.drain()
        XCTAssertEqual(seen.connections, 0)
        XCTAssertEqual(try XCTUnwrap(ManifestHarness.json(try h.ok(["status", "--json"]))["keys"] as? [Any]).count, 0, "nothing unlocked")
    }

    func testALoginGoesOnlyToTheServerItIsConfiguredFor() throws {
        let server = try OpenBaoDevServer()
        bao = server
        try server.policy("fleet", #"path "secret/data/fleet/*" { capabilities = ["read"] }"#)
        let value = randomSecret("fleet")
        try server.ok(["kv", "put", "secret/fleet/robot", "token=\(value)"])
        try server.ok(["auth", "enable", "approle"])
        try server.ok(["write", "auth/approle/role/seaturtle", "token_policies=fleet", "token_ttl=1h"])
        let roleID = try server.ok(["read", "-field=role_id", "auth/approle/role/seaturtle/role-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let secretID = try server.ok(["write", "-f", "-field=secret_id", "auth/approle/role/seaturtle/secret-id"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let personToken = try server.ok(["token", "create", "-field=token", "-policy=fleet"]).trimmingCharacters(in: .whitespacesAndNewlines)

        try h.ok(["set", "--key", "ROLE_ID", "--env", "openbao", "--org", "@all", "--vault", "os.secure"], stdin: roleID)
        try h.ok(["set", "--key", "SECRET_ID", "--env", "openbao", "--org", "@all", "--vault", "os.secure"], stdin: secretID)
        try h.ok(["set-default", "--openbao-addr", server.address, "--openbao-cacert", server.caFile, "--openbao-login", "approle",
                  "--openbao-role-id-key", "@all.openbao.ROLE_ID", "--openbao-secret-id-key", "@all.openbao.SECRET_ID"])
        try h.ok(["set", "--key", "FLEET", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "secret/fleet/robot#token"])
        // A key naming another server (plain http to loopback passes `set`): it has no login of its own.
        let other = try recorder()
        try h.ok(["set", "--key", "ELSEWHERE", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "secret/fleet/robot#token",
                  "--openbao-addr", other.address])
        let refusal = "acme.prod.ELSEWHERE names OpenBao at \(other.address), but the login of this owner is configured for \(server.address) and is sent nowhere else; nothing was sent to \(other.address)"

        // AppRole: refused before any connection; the other server sees nothing, the owner's
        // server no login either.
        assertOneLine(try h.keyrack(["unlock", "--env", "prod"], env: clean), refusal)
        var seen = other.drain()
        XCTAssertEqual(seen.connections, 0)
        XCTAssertFalse(String(decoding: seen.bytes, as: UTF8.self).contains(secretID), "the secret_id never reached another server")
        XCTAssertEqual(try server.auditedLogins(path: "auth/approle/login").count, 0, "nothing was sent before the refusal")

        // A person's token from ~/.vault-token: the same.
        try h.ok(["set-default", "--openbao-login", "token"])
        try Data((personToken + "\n").utf8).write(to: h.machine.home.appendingPathComponent(".vault-token"))
        assertOneLine(try h.keyrack(["unlock", "--env", "prod"], env: clean), refusal)
        seen = other.drain()
        XCTAssertEqual(seen.connections, 0)
        XCTAssertFalse(String(decoding: seen.bytes, as: UTF8.self).contains(personToken), "the token never reached another server")

        // The same server under another spelling is the owner's server; the foreign key gone,
        // the unlock reads from the owner's server with its login.
        try h.ok(["set", "--key", "ELSEWHERE", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "secret/fleet/robot#token",
                  "--openbao-addr", server.address.uppercased() + "/"])
        let r = try h.ok(["unlock", "--env", "prod"], env: clean)
        XCTAssertTrue(r.out.contains("unlocked 2 key(s)"), r.out)
        XCTAssertEqual(try h.ok(["get", "--key", "acme.prod.ELSEWHERE", "--value"]).out, value)
        XCTAssertEqual(other.drain().connections, 0)
    }

    /// A server's words reach the terminal escaped and on one line: an OpenBao `errors` entry
    /// that would retitle and clear the terminal, and field names holding newlines and colours.
    func testAHostileServersErrorTextReachesTheTerminalEscapedOnOneLine() throws {
        let hostile = try LoopbackServer { head in
            if head.contains("/v1/sys/internal/ui/mounts/") {
                return LoopbackServer.json(status: 200, #"{"data":{"path":"secret/","type":"kv","options":{"version":"1"}}}"#)
            }
            if head.hasPrefix("GET /v1/secret/fields/") {
                return LoopbackServer.json(status: 200, #"{"data":{"ok\nerror: forged second line":"1","\u001b[31mred\r":"2"}}"#)
            }
            return LoopbackServer.json(status: 500, #"{"errors":["\u001b]0;PWNED\u0007\u001b[2Jcleared\r\nerror: forged","\u009b31m"]}"#)
        }
        servers.append(hostile)
        try h.ok(["set-default", "--openbao-addr", hostile.address, "--openbao-login", "token"])
        var env = clean
        env["BAO_TOKEN"] = "s.person-token-\(freshToken())"
        let key = ["--env", "prod", "--org", "acme", "--vault", "openbao"]

        try h.ok(["set", "--key", "EVIL"] + key + ["--exid", "secret/evil/x#v"])
        let errors = try h.keyrack(["unlock", "--env", "prod", "--json"], env: env)
        XCTAssertEqual(errors.status, 1, errors.description)
        assertNoControlCharacters(errors.err)
        XCTAssertTrue(errors.err.contains(#"answered HTTP 500: \u{1b}]0;PWNED\u{7}\u{1b}[2Jcleared\u{d} error: forged; \u{9b}31m"#), errors.err)
        let report = try XCTUnwrap(ManifestHarness.json(errors)["error"] as? [String: Any])
        assertNoControlCharacters(try XCTUnwrap(report["message"] as? String), lines: 1)

        try h.ok(["del", "--key", "EVIL", "--env", "prod", "--org", "acme"])
        try h.ok(["set", "--key", "FIELDS"] + key + ["--exid", "secret/fields/y#v"])
        let fields = try h.keyrack(["unlock", "--env", "prod"], env: env)
        XCTAssertEqual(fields.status, 3, fields.description)
        assertNoControlCharacters(fields.err)
        XCTAssertTrue(fields.err.contains(#"its fields are \u{1b}[31mred\u{d}, ok\u{a}error: forged second line"#), fields.err)
    }

    /// A real OpenBao whose (trusted) certificate is issued for another host name: the one line
    /// says which host it does not cover and what to change, exit 1 as other TLS failures.
    func testACertificateForAnotherHostNameSaysWhichHostAndWhatToDo() throws {
        let dir = h.machine.dir
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
        let server = try OpenBaoDevServer(otherListener: (leaf, leafKey))
        bao = server
        let port = try XCTUnwrap(server.otherPort)
        try server.ok(["kv", "put", "secret/fleet/db", "password=\(randomSecret())"])
        var env = clean
        env["BAO_TOKEN"] = server.rootToken
        try h.ok(["set", "--key", "DB", "--env", "prod", "--org", "acme", "--vault", "openbao", "--exid", "secret/fleet/db#password"])

        for host in ["127.0.0.1", "localhost"] {
            let address = "https://\(host):\(port)"
            try h.ok(["set-default", "--openbao-addr", address, "--openbao-cacert", ca])
            let r = try h.keyrack(["unlock", "--env", "prod", "--json"], env: env)
            assertOneLine(r, "TLS with OpenBao at \(address) failed: its certificate does not cover the host \(host); use the host name (or IP) its certificate names in --openbao-addr, or have the server's certificate issued for \(host) (its CA passed with --openbao-cacert)", status: 1)
            XCTAssertFalse(r.err.contains("NIOSSL"), r.err)
            XCTAssertEqual((try ManifestHarness.json(r)["error"] as? [String: Any])?["exit"] as? Int, 1)
        }
    }

    private func assertNoControlCharacters(_ text: String, lines: Int = 1, file: StaticString = #filePath, line: UInt = #line) {
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        XCTAssertFalse(body.unicodeScalars.contains { $0.value < 0x20 || (0x7f..<0xa0).contains($0.value) },
                       "no raw control character: \(body.debugDescription)", file: file, line: line)
        XCTAssertEqual(text.split(separator: "\n").count, lines, file: file, line: line)
    }
}
