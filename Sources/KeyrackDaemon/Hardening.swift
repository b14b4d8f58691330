#if canImport(Glibc)
import Glibc
#endif

/// Process-wide protections for anything that holds secrets (the daemon, and `unlock` while it
/// carries values): no core files, not dumpable (which also stops same-uid ptrace and reads of
/// /proc/<pid>/mem), and a private umask. Values themselves are mlocked by `GuardedBytes`.
public enum Hardening {
    /// The daemon's and `unlock`'s full set: `protectProcess` and a private umask.
    public static func apply() {
        protectProcess()
        umask(0o077)
    }

    /// No core file and not dumpable, for every command from its first line: any of them may
    /// come to hold a decrypted manifest, a value, a PIN or a private key, and a same-uid
    /// `gcore` of one blocked on a full pipe would otherwise read them all. The soft core limit
    /// is kept so `exec` can hand the program it runs the limit the user had.
    public static func protectProcess() {
        disableCrashBacktracer()
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_CORE.rawValue), &limit) == 0, savedCoreLimit == nil { savedCoreLimit = limit }
        var none = rlimit(rlim_cur: 0, rlim_max: limit.rlim_max)
        setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        _ = c_prctl(prSetDumpable, 0, 0, 0, 0)
    }

    /// The signals on which the Swift runtime's backtracer (on by default on Linux) catches a crash.
    static let crashSignals: [Int32] = [SIGQUIT, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP]

    /// Takes the Swift runtime's crash handler off those signals. The runtime installs it before
    /// `main`, unless SWIFT_BACKTRACE=enable=no was in the environment the process started with
    /// (a variable a user's shell or `age` will not set for us), and on a crash, or a SIGSEGV or
    /// SIGQUIT any process of the same uid may send, it prints every register and the bytes they
    /// point at to stderr or the daemon's log: a value's first bytes among them, past
    /// `PR_SET_DUMPABLE` and the core limit. With the default action back, such a signal ends the
    /// process and prints nothing (no core file either: the limit is 0). Resetting from the first
    /// line of `main` is the cheapest way that holds for every binary however it was started
    /// (no re-exec; the runtime's handler is not exported, so there is no link-time switch).
    public static func disableCrashBacktracer() {
        for s in crashSignals { signal(s, SIG_DFL) }
    }

    /// Just before `execve` of a user's program (`keyrack exec`): its own core limit back.
    /// (The kernel makes the new program dumpable again by itself.)
    public static func restoreForExec() {
        guard var limit = savedCoreLimit else { return }
        setrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
    }

    nonisolated(unsafe) private static var savedCoreLimit: rlimit?

    /// Whether this process is currently dumpable (0 after `apply`), for tests.
    public static var isDumpable: Bool { c_prctl(prGetDumpable, 0, 0, 0, 0) != 0 }

    // <sys/prctl.h> is not in the Glibc module map. prctl takes integer arguments only, which
    // the Linux calling conventions pass identically to a variadic callee.
    private static let prGetDumpable: Int32 = 3
    private static let prSetDumpable: Int32 = 4
}

@_silgen_name("prctl")
private func c_prctl(_ option: Int32, _ a: UInt, _ b: UInt, _ c: UInt, _ d: UInt) -> Int32
