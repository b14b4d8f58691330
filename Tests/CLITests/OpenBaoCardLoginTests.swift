import Foundation
import TestSupport
import XCTest

/// The hardware login of issue 12, end to end: a robot's simulated YubiKey holds a P-256 key and
/// certificate in slot 9a (made by `keyrack yubikey setup --slot 9a`), the operator trusts the
/// certificate with the real `bao write auth/cert/certs/NAME`, and `keyrack unlock` logs in over
/// mutual TLS whose one signature the card makes. Card operations are counted by the simulator
/// (its state file); the server's audit log gives the login token's accessor, and
/// `bao token lookup -accessor` proves it was revoked. Run inside scripts/with-simulated-yubikey.
final class OpenBaoCardLoginTests: XCTestCase {
    private var server: OpenBaoDevServer!
    private var h: DaemonHarness!
    private var cards: [SimulatedCard] = []

    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        server = try OpenBaoDevServer()
        h = try DaemonHarness()
        try server.ok(["auth", "enable", "cert"])
    }

    override func tearDown() {
        h?.tearDown()
        for card in cards { card.remove() }
        server?.stop()
    }

    /// A robot whose manifest is wrapped to a retired slot of its card and whose OpenBao login is
    /// the card's slot 9a, trusted by the server under `robot` with a policy for `readable`.
    private func robot(_ name: String, readable: String, touch: String = "never", loginPIN: String = "never", trusted: Bool = true) throws -> SimulatedCard {
        let card = try SimulatedCard.insert()
        cards.append(card)
        let s = String(card.serial)
        let pem = h.machine.dir.file("\(name).pem")
        let setup = try h.ok(["yubikey", "setup", "--serial", s, "--slot", "9a", "--pin-policy", loginPIN, "--touch-policy", touch,
                              "--pin-stdin", "-o", pem.path], stdin: "123456\n")
        XCTAssertTrue(setup.err.contains("wrote the certificate of slot 9a to \(pem.path)"), setup.err)
        XCTAssertTrue(try String(contentsOf: pem, encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        if trusted {
            try server.policy(name, #"path "secret/data/\#(readable)/*" { capabilities = ["read"] }"#)
            // The operator's one command to trust the card (docs/openbao.md).
            try server.ok(["write", "auth/cert/certs/\(name)", "certificate=@\(pem.path)", "token_policies=\(name)"])
        }
        try h.ok(["init", "--for", name, "--via", "yubikey", "--serial", s, "--pin-policy", "never", "--touch-policy", "never", "--pin-stdin"],
                 stdin: "123456\n")
        try h.ok(["set-default", "--for", name, "--openbao-addr", server.address, "--openbao-cacert", server.caFile, "--openbao-login", "cert"])
        return card
    }

    private func signatures(_ card: SimulatedCard) throws -> Int { try card.stateValue("signCount") as? Int ?? 0 }

    private func openbaoKey(_ owner: String, _ key: String, _ exid: String) throws {
        try h.ok(["set", "--for", owner, "--key", key, "--env", "prod", "--org", "fleet", "--vault", "openbao", "--exid", exid])
    }

    private var noEnv: [String: String?] { ["BAO_TOKEN": nil, "VAULT_TOKEN": nil, "BAO_ADDR": nil, "VAULT_ADDR": nil, "VAULT_CACERT": nil] }

    /// A robot whose login slot has PIN policy `once` unlocks unattended with --pin-stdin (or
    /// --pin-file): the cert login's PIN comes from there, as the manifest's does. It cannot count
    /// on a PIN an earlier operation left verified: on an open pcscd none is (issue 24).
    func testPINOnceRobotLogsInWithThePINFromStdin() throws {
        let card = try robot("robot5", readable: "fleet/robot5", loginPIN: "once")
        let db = randomSecret("db5")
        try server.ok(["kv", "put", "secret/fleet/robot5/db", "password=\(db)"])
        try openbaoKey("robot5", "DB_PASSWORD", "secret/fleet/robot5/db#password")
        let none = try h.keyrack(["unlock", "--for", "robot5", "--env", "prod"], env: noEnv)
        XCTAssertNotEqual(none.status, 0, "no terminal and no --pin-stdin: no PIN \(none)")
        let signs = try signatures(card)
        let r = try h.keyrack(["unlock", "--for", "robot5", "--env", "prod", "--pin-stdin"], stdin: "123456\n", env: noEnv)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(try signatures(card) - signs, 1, "the login signature, with the PIN from stdin")
        XCTAssertEqual(try h.ok(["get", "--for", "robot5", "--key", "fleet.prod.DB_PASSWORD", "--value"]).out, db)
    }

    func testServerKilledDuringTheCardLoginEndsTheUnlockWithNothingHandedOver() throws {
        let card = try robot("robot3", readable: "fleet/robot3", touch: "always")
        try server.ok(["kv", "put", "secret/fleet/robot3/db", "password=\(randomSecret())"])
        try openbaoKey("robot3", "DB", "secret/fleet/robot3/db#password")
        let before = try h.machine.snapshot()
        try card.setTouch("3000")  // the card waits 3 s for the touch: the server dies meanwhile

        let err = h.machine.dir.file("unlock.err").path
        var env: [String: String] = ["XDG_RUNTIME_DIR": h.runtime.path]
        for (k, v) in h.machine.environment { if let v { env[k] = v } }
        for k in ["BAO_TOKEN", "VAULT_TOKEN", "BAO_ADDR", "VAULT_ADDR"] { env[k] = "" }
        let unlock = try Spawned(Run.keyrackBinary, ["unlock", "--for", "robot3", "--env", "prod"], environment: env, stderrPath: err)
        let deadline = Date().addingTimeInterval(20)
        while !((try? String(contentsOfFile: err, encoding: .utf8))?.contains("touch your YubiKey") ?? false) {
            XCTAssertTrue(unlock.isRunning, "unlock ended before the card asked for a touch: \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
            guard Date() < deadline, unlock.isRunning else { return XCTFail("no touch prompt within 20 s") }
            usleep(20_000)
        }
        server.kill9()
        let status = unlock.waitForExit()
        let message = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(status, 1, message)
        XCTAssertTrue(message.contains("error: OpenBao at \(server.address) closed the connection during the cert login; nothing was unlocked"), message)
        XCTAssertEqual(try h.machine.snapshot(), before, "nothing written")
        XCTAssertFalse(try h.ok(["status", "--for", "robot3"]).out.contains("fleet.prod"), "nothing handed to a daemon")
    }
}
