#if canImport(Glibc)
import Glibc
#endif

/// Process-wide protections for anything that holds secrets (the daemon, and `unlock` while it
/// carries values): no core files, not dumpable (which also stops same-uid ptrace and reads of
/// /proc/<pid>/mem), and a private umask. Values themselves are mlocked by `GuardedBytes`.
public enum Hardening {
    public static func apply() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        _ = c_prctl(prSetDumpable, 0, 0, 0, 0)
        umask(0o077)
    }

    /// Whether this process is currently dumpable (0 after `apply`), for tests.
    public static var isDumpable: Bool { c_prctl(prGetDumpable, 0, 0, 0, 0) != 0 }

    // <sys/prctl.h> is not in the Glibc module map. prctl takes integer arguments only, which
    // the Linux calling conventions pass identically to a variadic callee.
    private static let prGetDumpable: Int32 = 3
    private static let prSetDumpable: Int32 = 4
}

@_silgen_name("prctl")
private func c_prctl(_ option: Int32, _ a: UInt, _ b: UInt, _ c: UInt, _ d: UInt) -> Int32
