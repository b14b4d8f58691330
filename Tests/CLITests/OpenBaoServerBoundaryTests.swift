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

    override func setUpWithError() throws {
        h = try DaemonHarness()
        try h.sshOwner("human")
    }

    override func tearDown() {
        servers.forEach { $0.stop() }
        h?.tearDown()
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
    // A login only to its own server, a hostile server's text escaped, a certificate for another
    // host: KeyrackAppTests/OpenBao/OpenBaoUnlockTests.swift, in-process.
}
