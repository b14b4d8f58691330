import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PIV
import ProcessSpawn

/// Whether pcscd limits who may talk to a card: the one place keyrack decides it. Debian 12's
/// pcscd is built without polkit (its `--version` lists no "polkit" feature) and its socket is
/// 0666, so every local user can send APDUs to a plugged-in YubiKey: use a PIN-`never` slot for
/// ECDH, and use a PIN-`once` slot whose PIN someone else verified and left verified. keyrack
/// cannot change pcscd; it says so (`doctor`, `init`) and, on such a pcscd, never leaves a PIN
/// verified: the PIV layer is told `PINRetention.resetAfterUse` (a transaction from VERIFY to
/// close, a card reset at close) and the identity agent holds no card session between requests.
/// The remedy for robots is then PIN policy `once` with the PIN given to every `unlock` by
/// `--pin-stdin` or a 0600 `--pin-file` only the robot's user can read.
public enum PcscdAccess {
    public static let socketPath = "/run/pcscd/pcscd.comm"

    /// True when pcscd was built with polkit, false when not, nil when pcscd cannot be asked.
    public static func usesPolkit(pcscd: String = "/usr/sbin/pcscd") -> Bool? {
        guard FileManager.default.isExecutableFile(atPath: pcscd) else { return nil }
        guard case .success(let run) = Spawn(pcscd, ["--version"]).capture(timeout: 5), !run.timedOut else { return nil }
        let text = String(decoding: run.output, as: UTF8.self)
        guard let features = text.split(separator: "\n").first(where: { $0.hasPrefix("Enabled features:") }) else { return nil }
        return features.split(separator: " ").contains("polkit")
    }

    /// The socket's mode, when it exists.
    public static func socketMode() -> mode_t? {
        var st = stat()
        guard stat(socketPath, &st) == 0 else { return nil }
        return st.st_mode & 0o777
    }

    /// Whether a card session may stay PIN-verified after use, for `PINRetentionPolicy.tell`.
    public static var pinRetention: PINRetention { describe().open ? .resetAfterUse : .keepVerified }

    /// One line on what pcscd enforces here, and whether that leaves cards open to every user.
    /// Asked once per process (it runs `pcscd --version`).
    public static func describe() -> (open: Bool, detail: String) { verdict }
    private static let verdict: (open: Bool, detail: String) = decide()

    private static func decide() -> (open: Bool, detail: String) {
        let mode = socketMode().map { "socket \(socketPath) mode \(String($0, radix: 8))" } ?? "socket \(socketPath) absent"
        switch usesPolkit() {
        case true?: return (false, "pcscd is built with polkit: its rules decide who may use a card (\(mode))")
        case false?: return (true, "pcscd is built without polkit (\(mode)): every local user can send commands to a plugged-in YubiKey, use a PIN-never slot, and use a PIN-once slot while its PIN is verified (keyrack resets the card after each use)")
        case nil: return (true, "cannot tell whether pcscd restricts access (no /usr/sbin/pcscd --version); assume every local user can reach a plugged-in card")
        }
    }
}
