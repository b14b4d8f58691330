import Foundation
import TestSupport
import XCTest

/// While the card waits for a touch, keyrack says so on the terminal and, with a display, sends a
/// desktop notification through `notify-send`. Runs inside scripts/with-simulated-yubikey.
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

    func testNoDisplayMeansNoNotificationButStillThePrompt() throws {
        let dir = try TempDirectory("keyrack-touch")
        defer { dir.remove() }
        let card = try SimulatedCard.insert()
        let stub = dir.file("stub.txt").path
        let setup = try Run.keyrack(["yubikey", "setup", "--serial", String(card.serial), "--pin-stdin", "--pin-policy", "never",
                                     "--touch-policy", "always", "-o", stub], stdin: Array("123456\n".utf8))
        XCTAssertEqual(setup.status, 0, setup.description)
        let recipient = setup.out.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n").last ?? ""
        let plain = try dir.write("plain", Array("x".utf8))
        let sealed = dir.file("sealed.age").path
        XCTAssertEqual(try Run.keyrack(["age", "encrypt", "-r", recipient, "-o", sealed, plain.path]).status, 0)

        // notify-send here is a FAKE that fails loudly: with no display it must not even be started,
        // and if it were, its failure must not fail the decryption.
        let bin = dir.file("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let marker = dir.file("started").path
        try "#!/bin/sh\n# FAKE notify-send: marks that it ran, then fails.\ntouch \"\(marker)\"\nexit 1\n"
            .write(to: bin.appendingPathComponent("notify-send"), atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(bin.appendingPathComponent("notify-send").path, 0o755), 0)
        try "1500".write(toFile: card.stateFile + ".touch", atomically: true, encoding: .utf8)
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let dec = try Run.keyrack(["age", "decrypt", "-i", stub, sealed], environment: ["DISPLAY": nil, "WAYLAND_DISPLAY": nil, "PATH": path])
        XCTAssertEqual(dec.status, 0, dec.description)
        XCTAssertTrue(dec.err.contains("touch your YubiKey (serial \(card.serial))"), dec.err)
        // Had it been spawned, it would have been a second before the decryption ended.
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "no display: notify-send must not run")

        // With a display, the same failing notify-send runs (marker appears) and the decryption still succeeds.
        let again = try Run.keyrack(["age", "decrypt", "-i", stub, sealed], environment: ["WAYLAND_DISPLAY": "wayland-9", "DISPLAY": nil, "PATH": path])
        XCTAssertEqual(again.status, 0, again.description)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && !FileManager.default.fileExists(atPath: marker) { usleep(50_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker), "WAYLAND_DISPLAY alone is a display")
    }
}
