#if canImport(Glibc)
import Glibc
#endif

/// prctl, which the Glibc module does not import (<sys/prctl.h>; integer arguments only, which
/// the Linux calling conventions pass to a variadic callee exactly as to a fixed one), and fork,
/// which Swift does not offer: the launcher needs a child that sets its parent-death signal
/// before it execs bubblewrap, and posix_spawn cannot.
enum LinuxCalls {
    static let prSetPdeathsig: Int32 = 1

    static func prctl(_ option: Int32, _ a: UInt) -> Int32 { c_prctl(option, a, 0, 0, 0) }

    static func fork() -> pid_t { c_fork() }
}

@_silgen_name("prctl")
private func c_prctl(_ option: Int32, _ a: UInt, _ b: UInt, _ c: UInt, _ d: UInt) -> Int32
@_silgen_name("fork")
private func c_fork() -> pid_t
