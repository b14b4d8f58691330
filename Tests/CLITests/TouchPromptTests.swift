import Foundation
import TestSupport
import XCTest

/// While the card waits for a touch, keyrack says so on the terminal and, with a display, sends a
/// desktop notification through `notify-send`. Runs inside scripts/with-simulated-yubikey. When
/// notify-send runs and when not: KeyrackAppTests/Prompts/TouchNotificationTests.swift.
final class TouchPromptTests: XCTestCase {
    func testSlowTouchPromptsOnStderrAndNotifiesTheDesktop() throws {
        let dir = try TempDirectory("keyrack-touch")
        defer { dir.remove() }
        let card = try SimulatedCard.insert()
        let stub = dir.file("stub.txt").path
        let setup = try Run.keyrack(["yubikey", "setup", "--serial", String(card.serial), "--pin-stdin", "--pin-policy", "never",
                                     "--touch-policy", "always", "-o", stub], stdin: Array("123456\n".utf8))
        XCTAssertEqual(setup.status, 0, setup.description)
        let recipient = setup.out.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n").last ?? ""
        XCTAssertTrue(recipient.hasPrefix("age1yubikey1"), setup.out)

        let plain = try dir.write("plain", Array("touch me".utf8))
        let sealed = dir.file("sealed.age").path
        let enc = try Run.keyrack(["age", "encrypt", "-r", recipient, "-o", sealed, plain.path])
        XCTAssertEqual(enc.status, 0, enc.description)

        // A FAKE notify-send (test double): it only records its arguments, one per line.
        let bin = dir.file("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let log = dir.file("notify.log").path
        let fake = bin.appendingPathComponent("notify-send")
        try "#!/bin/sh\n# FAKE notify-send for keyrack's tests: records its arguments.\nprintf '%s\\n' \"$@\" >> \"$FAKE_NOTIFY_LOG\"\n"
            .write(to: fake, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(fake.path, 0o755), 0)

        // The card takes 1.5 s to be "touched": long enough for the prompt (after 0.5 s).
        try "1500".write(toFile: card.stateFile + ".touch", atomically: true, encoding: .utf8)
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let dec = try Run.keyrack(["age", "decrypt", "-i", stub, sealed],
                                  environment: ["DISPLAY": ":99", "WAYLAND_DISPLAY": nil, "PATH": path, "FAKE_NOTIFY_LOG": log])
        XCTAssertEqual(dec.status, 0, dec.description)
        XCTAssertEqual(dec.out, "touch me")
        XCTAssertTrue(dec.err.contains("touch your YubiKey (serial \(card.serial))"), "the terminal prompt: \(dec.err)")

        // notify-send runs detached: poll for its record with a deadline.
        let deadline = Date().addingTimeInterval(10)
        var recorded = ""
        while Date() < deadline {
            recorded = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if recorded.contains("serial \(card.serial)") { break }
            usleep(50_000)
        }
        let args = recorded.split(separator: "\n").map(String.init)
        XCTAssertTrue(args.contains("keyrack"), "summary: \(recorded)")
        // The body names who asks: the program that ran keyrack (here this test process) and the command.
        let body = args.first { $0.hasPrefix("touch your YubiKey (serial \(card.serial))") } ?? ""
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        XCTAssertEqual(body, "touch your YubiKey (serial \(card.serial)): requested by \(me) (pid \(getpid())) via keyrack age decrypt", "body: \(recorded)")
        XCTAssertTrue(dec.err.contains("requested by \(me) (pid \(getpid())) via keyrack age decrypt"), dec.err)
    }
}
