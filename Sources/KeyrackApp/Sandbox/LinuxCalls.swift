#if canImport(Glibc)
import Glibc
#endif

/// prctl, which the Glibc module does not import (<sys/prctl.h>). Integer arguments only, which
/// the Linux calling conventions pass to a variadic callee exactly as to a fixed one.
enum LinuxCalls {
    static let prSetPdeathsig: Int32 = 1

    static func prctl(_ option: Int32, _ a: UInt) -> Int32 { c_prctl(option, a, 0, 0, 0) }
}

@_silgen_name("prctl")
private func c_prctl(_ option: Int32, _ a: UInt, _ b: UInt, _ c: UInt, _ d: UInt) -> Int32
