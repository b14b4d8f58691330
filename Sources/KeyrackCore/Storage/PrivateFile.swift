import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The rule for a file that holds a secret keyrack reads (a `--pin-file`, an age identity file,
/// an ssh private key): the caller's own, and nothing for group or others, as OpenSSH asks of a
/// private key. Stated once: the PIN file, every identity read and `doctor` ask it here.
public enum PrivateFile {
    /// Why a file owned by `owner` with `mode` may not hold a secret of uid `uid`, or nil.
    public static func problem(path: String, what: String, owner: uid_t, mode: mode_t, uid: uid_t = getuid()) -> String? {
        if owner != uid { return "the \(what) \(path) belongs to uid \(owner), not to you (uid \(uid)): keep it in a file only you own" }
        if mode & 0o077 != 0 {
            return "the \(what) \(path) has mode \(String(mode & 0o777, radix: 8)), readable by others: run `chmod 600 \(path)`"
        }
        return nil
    }

    /// The same for a path, following a symlink as the read does; nil when it cannot be stat'ed
    /// (the read then says why).
    public static func problem(path: String, what: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return problem(path: path, what: what, owner: st.st_uid, mode: st.st_mode)
    }

    /// Whether `bytes` (an identity file's content) hold key material: an OpenSSH private key
    /// or an age secret key. Plugin stubs (`AGE-PLUGIN-YUBIKEY-1…`) and public keys do not, and
    /// may be readable by anyone.
    public static func holdsSecretKey(_ bytes: [UInt8]) -> Bool {
        if SSHBridge.isPrivateKey(bytes) { return true }
        return String(decoding: bytes, as: UTF8.self).uppercased().contains("AGE-SECRET-KEY-")
    }
}
