import CSodium
#if canImport(Glibc)
import Glibc
#endif

/// A secret value in libsodium guarded memory: its own pages, locked in RAM (no swap), fenced by
/// guard pages, and kept inaccessible (`PROT_NONE`) except for the instant it is copied out. A
/// stray read past another buffer, a core dump or a swap file therefore never holds the value.
///
/// Not thread-safe: the page protection is a single process-wide state per buffer, so two readers
/// racing would leave it inaccessible under the second one's feet. `GrantStore` serialises every
/// access under its lock, which is the only owner of these objects.
final class GuardedBytes {
    private var pointer: UnsafeMutableRawPointer?
    /// Number of meaningful bytes; 0 after `wipe()`.
    private(set) var count: Int
    /// The allocated size, kept so `isZeroed` can inspect the whole buffer after a wipe.
    private let capacity: Int

    /// Copies `bytes` into fresh guarded memory. The caller still owns (and should zero) its copy.
    init(copying bytes: [UInt8]) throws {
        Sodium.ensureInitialised()
        // sodium_malloc(0) is legal but yields a pointer we cannot mprotect portably; keep one byte.
        let size = max(bytes.count, 1)
        guard let p = sodium_malloc(size) else { throw DaemonError.outOfSecureMemory }
        memset(p, 0, size)
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { memcpy(p, base, raw.count) }
        }
        pointer = p
        count = bytes.count
        capacity = size
        sodium_mprotect_noaccess(p)
    }

    /// Hands the value to `body` with the pages readable for exactly that call.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let p = pointer, count > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        sodium_mprotect_readonly(p)
        defer { sodium_mprotect_noaccess(p) }
        return try body(UnsafeRawBufferPointer(start: p, count: count))
    }

    /// Zeroes the value now (relock, expiry) rather than whenever the last reference goes away.
    func wipe() {
        guard let p = pointer else { return }
        sodium_mprotect_readwrite(p)
        sodium_memzero(p, capacity)
        sodium_mprotect_noaccess(p)
        count = 0
    }

    /// True when every byte of the allocation is zero: what the tests check after relock/expiry.
    var isZeroed: Bool {
        guard let p = pointer else { return true }
        sodium_mprotect_readonly(p)
        defer { sodium_mprotect_noaccess(p) }
        return sodium_is_zero(p.assumingMemoryBound(to: UInt8.self), capacity) == 1
    }

    deinit {
        // sodium_free zeroes the buffer again before unmapping it.
        if let p = pointer { sodium_free(p) }
    }
}

enum Sodium {
    private static let initialised: Bool = { sodium_init() >= 0 }()
    static func ensureInitialised() { _ = initialised }
}

/// Zeroes a Swift byte array in place (frames that carried secrets), so the heap copy does not
/// linger until the allocator reuses it.
@inline(never)
public func zeroize(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { sodium_memzero(base, raw.count) }
    }
}

/// Zeroes the storage behind `bytes` in place, even when other arrays share it. `zeroize`
/// cannot do that: on a shared buffer (a value pattern-matched out of an enum, an element of an
/// array that is itself still referenced) its mutable access copies first and zeroes the copy,
/// leaving the original in the heap after relock. The daemon calls this on buffers that carried
/// values and are about to be dropped by every holder.
@inline(never)
func wipeStorage(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        if let base = raw.baseAddress, raw.count > 0 { sodium_memzero(UnsafeMutableRawPointer(mutating: base), raw.count) }
    }
}
