#if canImport(Glibc)
import Glibc
#endif

/// A Unix user an owner is pinned to (`init --uid`): a numeric uid as given, else a name looked
/// up in the password database; nil for a name it does not know.
public enum UnixUser {
    public static func uid(_ user: String) -> UInt32? {
        if let n = UInt32(user) { return n }
        return getpwnam(user).map { $0.pointee.pw_uid }
    }
}
