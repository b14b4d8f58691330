import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether pcscd limits who may talk to a card. Debian 12's pcscd is built without polkit (its
/// `--version` lists no "polkit" feature) and its socket is 0666, so every local user can send
/// APDUs to a plugged-in YubiKey and use a PIN-`never` slot for ECDH. keyrack cannot change that;
/// it says so (`doctor`, `init`) and supports the remedy: PIN policy `once`, the PIN given to
/// `unlock` by `--pin-stdin` or a 0600 `--pin-file` only the robot's user can read.
enum PcscdAccess {
    static let socketPath = "/run/pcscd/pcscd.comm"

    /// True when pcscd was built with polkit, false when not, nil when pcscd cannot be asked.
    static func usesPolkit(pcscd: String = "/usr/sbin/pcscd") -> Bool? {
        guard FileManager.default.isExecutableFile(atPath: pcscd) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: pcscd)
        p.arguments = ["--version"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard let features = text.split(separator: "\n").first(where: { $0.hasPrefix("Enabled features:") }) else { return nil }
        return features.split(separator: " ").contains("polkit")
    }

    /// The socket's mode, when it exists.
    static func socketMode() -> mode_t? {
        var st = stat()
        guard stat(socketPath, &st) == 0 else { return nil }
        return st.st_mode & 0o777
    }

    /// One line on what pcscd enforces here, and whether that leaves cards open to every user.
    static func describe() -> (open: Bool, detail: String) {
        let mode = socketMode().map { "socket \(socketPath) mode \(String($0, radix: 8))" } ?? "socket \(socketPath) absent"
        switch usesPolkit() {
        case true?: return (false, "pcscd is built with polkit: its rules decide who may use a card (\(mode))")
        case false?: return (true, "pcscd is built without polkit (\(mode)): every local user can send commands to a plugged-in YubiKey and use a PIN-never slot")
        case nil: return (true, "cannot tell whether pcscd restricts access (no /usr/sbin/pcscd --version); assume every local user can reach a plugged-in card")
        }
    }
}
