import Foundation
import KeyrackApp
import KeyrackCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The touch prompt's line and what it starts beside it: with KEYRACK_NOTIFY, that command with
/// the line as its one argument, instead of notify-send; otherwise notify-send only when a display
/// (DISPLAY or WAYLAND_DISPLAY) is set; a PIN prompt goes to KEYRACK_NOTIFY only. The environment
/// is passed in; the real card and notify-send end to end: CLITests/TouchPromptTests.swift,
/// CLITests/NotifyCommandTests.swift.
final class TouchNotificationTests: XCTestCase {
    /// An environment of `variables` only.
    private func environment(_ variables: [String: String]) -> (String) -> String? { { variables[$0] } }

    func testTheLineNamesTheCardWhoAsksAndTheCommand() throws {
        let me = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let asker = Asker.phrase(parent: getpid(), arguments: ["/usr/bin/keyrack", "age", "decrypt", "-i", "stub.txt"])
        XCTAssertEqual(asker, "requested by \(me) (pid \(getpid())) via keyrack age decrypt")
        XCTAssertEqual(TouchPrompt.text(.touch(serial: 7), asker: asker), "touch your YubiKey (serial 7): \(asker)")
        XCTAssertTrue(Asker.phrase(parent: getpid(), arguments: ["keyrack", "unlock", "--for", "robo"]).hasSuffix(" via keyrack unlock for 'robo'"))
        // No display and no KEYRACK_NOTIFY: the line on stderr, and nothing started.
        let env = EnvironmentOverride()
        defer { env.restore() }
        for name in ["DISPLAY", "WAYLAND_DISPLAY", "KEYRACK_NOTIFY"] { env.set(name, nil) }
        XCTAssertNil(DesktopNotification.sendArguments(summary: "keyrack", body: "x"))
        XCTAssertEqual(try capturingStderr { TouchPrompt.show(.touch(serial: 7)) }, TouchPrompt.text(.touch(serial: 7)) + "\n")
    }

    func testKeyrackNotifyReplacesNotifySendWithTheLineAsItsOneArgument() {
        let env = environment(["KEYRACK_NOTIFY": "record-notify", "DISPLAY": ":99"])
        XCTAssertEqual(DesktopNotification.sendArguments(summary: "keyrack", body: "touch your YubiKey (serial 7): x", environment: env),
                       ["record-notify", "touch your YubiKey (serial 7): x"])
        XCTAssertEqual(DesktopNotification.promptArguments("Enter PIN: x", environment: environment(["KEYRACK_NOTIFY": "/opt/notify"])),
                       ["/opt/notify", "Enter PIN: x"], "a path works as well as a name; no display is needed")
        XCTAssertNil(DesktopNotification.sendArguments(summary: "keyrack", body: "x", environment: environment(["KEYRACK_NOTIFY": ""])),
                     "an empty KEYRACK_NOTIFY is none, and there is no display")
    }

    func testNotifySendOnlyWithADisplayAndNeverForAPINPrompt() throws {
        XCTAssertNil(DesktopNotification.sendArguments(summary: "keyrack", body: "x", environment: environment(["DISPLAY": ":99", "PATH": "/nonexistent"])),
                     "no notify-send on PATH: nothing")
        let bin = NSTemporaryDirectory() + "keyrack-notify-\(getpid())"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: bin) }
        FileManager.default.createFile(atPath: bin + "/notify-send", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        let withDisplay = { (display: [String: String]) -> [String]? in
            DesktopNotification.sendArguments(summary: "keyrack", body: "touch", environment: { name in name == "PATH" ? bin : display[name] })
        }
        XCTAssertNil(withDisplay([:]), "no display: notify-send must not run")
        XCTAssertNil(withDisplay(["DISPLAY": ""]), "an empty DISPLAY is none")
        let expected = [bin + "/notify-send", "--app-name=keyrack", "--urgency=critical", "--expire-time=15000", "keyrack", "touch"]
        XCTAssertEqual(withDisplay(["DISPLAY": ":99"]), expected)
        XCTAssertEqual(withDisplay(["WAYLAND_DISPLAY": "wayland-9"]), expected, "WAYLAND_DISPLAY alone is a display")
        XCTAssertNil(DesktopNotification.promptArguments("Enter PIN", environment: { name in name == "PATH" ? bin : (name == "DISPLAY" ? ":99" : nil) }),
                     "a PIN prompt never goes to notify-send")
    }
}
