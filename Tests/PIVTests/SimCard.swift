import Foundation
import PIV
import TestSupport
import XCTest

/// One simulated YubiKey (keyrack-piv-sim) plugged into a free vpcd reader of the pcscd that
/// scripts/with-simulated-yubikey started. Card tests FAIL when that environment is missing, so a
/// run outside the script cannot pass vacuously; KEYRACK_NO_CARD_TESTS=1 (never on CI) skips them.
final class SimCard {
    let serial: UInt32
    let port: Int
    let reader: String
    let stateFile: String
    private let process: Process
    private static var usedPorts: Set<Int> = []

    static func requireEnvironment() throws {
        let env = ProcessInfo.processInfo.environment
        if env["KEYRACK_SIM_FREE_PORTS"] == nil {
            if env["KEYRACK_NO_CARD_TESTS"] == "1" && env["CI"] != "true" {
                throw XCTSkip("KEYRACK_NO_CARD_TESTS=1: card tests skipped")
            }
            XCTFail("card tests need pcscd + vpcd: run them as scripts/with-simulated-yubikey -- swift test --filter PIVTests")
            throw CardEnvironmentMissing()
        }
    }

    struct CardEnvironmentMissing: Error {}

    /// Starts a fresh factory card with `serial` and waits (deadline 20 s) until PC/SC sees it.
    static func insert(serial: UInt32, touch: String = "auto", extra: [String] = []) throws -> SimCard {
        try requireEnvironment()
        let env = ProcessInfo.processInfo.environment
        let free = (env["KEYRACK_SIM_FREE_PORTS"] ?? "").split(separator: ",").compactMap { Int($0) }
        guard let port = free.first(where: { !usedPorts.contains($0) }) else {
            XCTFail("no free simulated reader left (KEYRACK_SIM_FREE_PORTS=\(env["KEYRACK_SIM_FREE_PORTS"] ?? ""))")
            throw CardEnvironmentMissing()
        }
        usedPorts.insert(port)
        let readers = (env["KEYRACK_SIM_READERS"] ?? "").split(separator: ";").map { $0.split(separator: "=", maxSplits: 1) }
        let reader = readers.first { Int($0[0]) == port }.map { String($0[1]) } ?? ""
        let dir = env["KEYRACK_SIM_STATE_DIR"] ?? NSTemporaryDirectory()
        let state = "\(dir)/piv-test-\(serial)-\(UUID().uuidString.prefix(6)).json"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: env["KEYRACK_SIM_BIN"] ?? Run.simulatorBinary)
        p.arguments = ["--state", state, "--serial", String(serial), "--port", String(port), "--touch", touch] + extra
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        // Let the script's teardown kill it too if this test process dies.
        try? String(p.processIdentifier).write(toFile: "\(dir)/port-\(port).pid", atomically: true, encoding: .utf8)
        let card = SimCard(serial: serial, port: port, reader: reader, stateFile: state, process: p)
        try card.waitUntil(present: true)
        return card
    }

    private init(serial: UInt32, port: Int, reader: String, stateFile: String, process: Process) {
        (self.serial, self.port, self.reader, self.stateFile, self.process) = (serial, port, reader, stateFile, process)
    }

    /// Changes the touch behaviour of the running card: "auto", "deny" or milliseconds.
    func setTouch(_ mode: String) throws {
        try mode.write(toFile: stateFile + ".touch", atomically: true, encoding: .utf8)
    }

    /// Pulls the card out and waits until PC/SC no longer sees it.
    func remove() throws {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        SimCard.usedPorts.remove(port)
        try waitUntil(present: false)
    }

    private func waitUntil(present: Bool) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let serials = try? PIVCards.serials().map(\.serial), serials.contains(serial) == present { return }
            if present && !process.isRunning { break }
            usleep(50_000)
        }
        XCTFail("simulated card \(serial) did not become \(present ? "present" : "absent") within 20 s")
        throw CardEnvironmentMissing()
    }

    /// Runs yubico-piv-tool (the card oracle) against this card's reader.
    func pivTool(_ arguments: [String], stdin: [UInt8] = []) throws -> RunResult {
        try Run.process("yubico-piv-tool", ["-r", reader] + arguments, stdin: stdin)
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        SimCard.usedPorts.remove(port)
    }
}

/// Test serials are random so a stale card from another run can never answer for this one.
func randomSerial() -> UInt32 { UInt32.random(in: 10_000_000...99_999_999) }
