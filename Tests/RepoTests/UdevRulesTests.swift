import Foundation
import TestSupport
import XCTest

/// Issue 24 (LOW): udev/ grants the group `keyrack` only what PIV over pcscd needs. pcscd runs
/// as root and opens the CCID device itself, so no USB or HID node is granted (the old rule gave
/// the group raw access to every Yubico device, OTP and FIDO interfaces included, and is removed
/// on install); the polkit rule allows pcscd itself and cards in YubiKey CCID readers only, or
/// only the readers given with --reader. Installed with `udev/install --root` into a temp dir.
final class UdevRulesTests: XCTestCase {
    private var udev: URL { Run.packageRoot.appendingPathComponent("udev") }

    private func install(_ root: TempDirectory, _ args: [String]) throws -> RunResult {
        try Run.process(udev.appendingPathComponent("install").path, ["--root", root.path] + args)
    }

    func testNoDeviceNodeIsGrantedAndPolkitAllowsOnlyPcscdAndTheYubiKeyReaders() throws {
        // No rule in udev/ hands out a device node.
        for name in try FileManager.default.contentsOfDirectory(atPath: udev.path) where name.hasSuffix(".rules") {
            let text = try String(contentsOf: udev.appendingPathComponent(name), encoding: .utf8)
            for grant in ["hidraw", "GROUP=", "MODE=", "SUBSYSTEM==\"usb\"", "uaccess"] {
                XCTAssertFalse(text.contains(grant), "udev/\(name) grants a device node (\(grant))")
            }
        }

        let root = try TempDirectory("keyrack-udev")
        defer { root.remove() }
        // An old install's USB/HID grant is removed.
        let old = root.file("etc/udev/rules.d/70-keyrack-yubikey.rules")
        try FileManager.default.createDirectory(at: old.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("KERNEL==\"hidraw*\", ATTRS{idVendor}==\"1050\", GROUP=\"keyrack\", MODE=\"0660\"\n".utf8).write(to: old)
        let r = try install(root, ["--group", "robots"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: old.path), "the old device-node grant is removed")
        XCTAssertTrue(r.out.contains("removed \(old.path)"), r.out)

        let rule = try String(contentsOf: root.file("etc/polkit-1/rules.d/03-keyrack-pcscd.rules"), encoding: .utf8)
        let code = rule.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }.joined(separator: "\n")
        let actions = try NSRegularExpression(pattern: #""(org\.[a-z._-]+)""#).matches(in: code, range: NSRange(code.startIndex..., in: code))
            .map { String(code[Range($0.range(at: 1), in: code)!]) }
        XCTAssertEqual(Set(actions), ["org.debian.pcsc-lite.access_pcsc", "org.debian.pcsc-lite.access_card"], "only pcscd's two actions: \(code)")
        XCTAssertTrue(code.contains("subject.isInGroup(\"robots\")"), code)
        XCTAssertFalse(code.contains("\"keyrack\""), "the group is the one given")
        XCTAssertTrue(code.contains("var readers = [];"), "no --reader: any YubiKey CCID reader: \(code)")
        XCTAssertTrue(code.contains("action.lookup(\"reader\")") && code.contains("reader.indexOf(\"Yubico YubiKey\") == 0 && reader.indexOf(\"CCID\") > 0"), code)
        // A card is allowed only through the reader test; everything else is left to the default policy.
        XCTAssertEqual(code.components(separatedBy: "return polkit.Result.YES").count - 1, 2, code)

        // --reader pins the readers; a name that could break out of the JavaScript string is refused.
        let pinned = try install(root, ["--reader", "Yubico YubiKey OTP+FIDO+CCID 00 00", "--reader", "Yubico YubiKey CCID 01 00"])
        XCTAssertEqual(pinned.status, 0, "\(pinned)")
        let pinnedRule = try String(contentsOf: root.file("etc/polkit-1/rules.d/03-keyrack-pcscd.rules"), encoding: .utf8)
        XCTAssertTrue(pinnedRule.contains("var readers = [\"Yubico YubiKey OTP+FIDO+CCID 00 00\", \"Yubico YubiKey CCID 01 00\"];"), pinnedRule)
        let hostile = try install(root, ["--reader", "x\"]; return polkit.Result.YES; //"])
        XCTAssertEqual(hostile.status, 2, "\(hostile)")
        XCTAssertTrue(hostile.err.contains("invalid reader name"), hostile.err)
    }
}
