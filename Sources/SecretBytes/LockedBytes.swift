#if canImport(Glibc)
import Glibc
#endif

/// A token or AppRole credential in memory only: locked out of swap, zeroed when released,
/// never turned into a String (so no copy is left in the heap by this code).
/// `@unchecked`: the buffer is a raw pointer, written only in `init` and read after, so sharing
/// it is safe though the compiler cannot tell.
public final class LockedBytes: @unchecked Sendable {
    private let base: UnsafeMutableRawBufferPointer
    public let count: Int

    public init(_ bytes: [UInt8]) {
        count = bytes.count
        base = .allocate(byteCount: max(count, 1), alignment: 16)
        mlock(base.baseAddress, base.count)
        base.copyBytes(from: bytes)
    }

    /// Takes `bytes` and zeroes the caller's copy.
    public convenience init(taking bytes: inout [UInt8]) {
        self.init(bytes)
        zeroize(&bytes)
    }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: base[0..<count]))
    }

    deinit {
        zeroize(base.baseAddress!, count: base.count)
        munlock(base.baseAddress, base.count)
        base.deallocate()
    }
}
