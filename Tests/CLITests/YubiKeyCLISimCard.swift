import Foundation
import TestSupport
import XCTest

/// A simulated YubiKey for the black-box CLI tests: keyrack-piv-sim on a free vpcd reader of the
/// pcscd that scripts/with-simulated-yubikey started. Presence is checked with the binary under
/// test itself (`keyrack yubikey list --json`). Fails, never skips, when the environment is
/// missing, unless KEYRACK_NO_CARD_TESTS=1 outside CI.
final class YubiKeyCLISimCard {
    let serial: UInt32
    let port: Int
    let stateFile: String
    private let process: Process
    private static var usedPorts: Set<Int> = []

    static func insert(serial: UInt32 = UInt32.random(in: 10_000_000...99_999_999)) throws -> YubiKeyCLISimCard {
        let env = ProcessInfo.processInfo.environment
        guard let freeList = env["KEYRACK_SIM_FREE_PORTS"] else {
            if env["KEYRACK_NO_CARD_TESTS"] == "1" && env["CI"] != "true" { throw XCTSkip("KEYRACK_NO_CARD_TESTS=1") }
            XCTFail("YubiKey CLI tests need pcscd + vpcd: run scripts/with-simulated-yubikey -- swift test --filter CLITests.YubiKey")
            throw Missing()
        }
        guard let port = freeList.split(separator: ",").compactMap({ Int($0) }).first(where: { !usedPorts.contains($0) }) else {
            XCTFail("no free simulated reader left")
            throw Missing()
        }
        usedPorts.insert(port)
        let dir = env["KEYRACK_SIM_STATE_DIR"] ?? NSTemporaryDirectory()
        let state = "\(dir)/cli-test-\(serial)-\(UUID().uuidString.prefix(6)).json"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: env["KEYRACK_SIM_BIN"] ?? Run.simulatorBinary)
        p.arguments = ["--state", state, "--serial", String(serial), "--port", String(port)]
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        try? String(p.processIdentifier).write(toFile: "\(dir)/port-\(port).pid", atomically: true, encoding: .utf8)
        let card = YubiKeyCLISimCard(serial: serial, port: port, stateFile: state, process: p)
        try card.waitUntil(present: true)
        return card
    }

    struct Missing: Error {}

    private init(serial: UInt32, port: Int, stateFile: String, process: Process) {
        (self.serial, self.port, self.stateFile, self.process) = (serial, port, stateFile, process)
    }

    func remove() throws {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        YubiKeyCLISimCard.usedPorts.remove(port)
        try waitUntil(present: false)
    }

    private func waitUntil(present: Bool) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let listed = try Run.keyrack(["yubikey", "list", "--json"])
            if listed.out.contains("\"serial\" : \(serial)") == present { return }
            usleep(50_000)
        }
        XCTFail("simulated card \(serial) did not become \(present ? "present" : "absent") within 20 s")
        throw Missing()
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        YubiKeyCLISimCard.usedPorts.remove(port)
    }
}
