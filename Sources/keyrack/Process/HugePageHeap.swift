#if canImport(Glibc)
import Glibc
#endif

/// The heap of `unlock` of a large manifest, read whole at once (issue 32). Two settings:
///  - Buffers up to 256 MiB come from the heap and go back to it when freed, so the next one
///    reuses pages already faulted in. By default glibc gives every block over 128 KiB a mapping
///    of its own, faulted in anew each time an array grows: at 10 000 keys that was 1 900 of an
///    unlock's 6 200 page faults.
///  - For a large manifest, the heap is grown once by about what its unlock will use (8 times
///    the file: its plaintext, the parsed keys, the request to the daemon) and that block is
///    advised onto transparent huge pages: at 10 000 keys (a 3.9 MB file) 6 200 faults fell to
///    1 300 and the client's CPU time by a sixth (`perf stat`).
/// A small manifest gets neither: its unlock measured 30 to 40 faults more with the first (a
/// block from the heap is written where a fresh mapping was not), and its first fault in an
/// advised block would zero a whole 2 MiB page, and with THP's `defrag` setting possibly compact
/// memory first, to save a few dozen small faults.
/// Only address space is reserved: pages are backed where written. Where the kernel has THP off
/// (`never`), the advice changes nothing. The values the unlock reads lie in this heap as in any
/// other and are wiped as before (huge pages change where they lie, not how they are wiped);
/// the daemon's guarded memory is apart (GuardedBytes).
enum HugePageHeap {
    static let hugePageBytes = 2 << 20
    /// The manifest size from which the heap is set up: about 2 500 keys of the bench's shape.
    static let largeManifestBytes = 1 << 20

    /// Sets the heap up for an unlock of a manifest of `manifestBytes` when it is large (nil:
    /// unknown, nothing done). Returns the range advised, if any.
    @discardableResult
    static func prepare(forManifestBytes manifestBytes: Int?) -> Range<UInt>? {
        guard let manifestBytes, manifestBytes >= largeManifestBytes else { return nil }
        keepLargeBuffersInTheHeap()
        return reserve(bytes: min(manifestBytes, 32 << 20) * 8)
    }

    static func keepLargeBuffersInTheHeap() {
        _ = c_mallopt(mMmapThreshold, 256 << 20)
        _ = c_mallopt(mTrimThreshold, 256 << 20)
    }

    /// Grows the heap by one block of `bytes`, advises it onto huge pages and frees it, so that
    /// later allocations of the main thread are carved from it. Call `keepLargeBuffersInTheHeap`
    /// first: without it a block this size is a mapping of its own, unmapped again on free.
    /// Returns the range advised; nil when there was none (no block, or the kernel refused).
    @discardableResult
    static func reserve(bytes: Int) -> Range<UInt>? {
        guard let block = malloc(bytes) else { return nil }
        defer { free(block) }
        let mask = UInt(hugePageBytes - 1)
        let start = (UInt(bitPattern: block) + mask) & ~mask, end = (UInt(bitPattern: block) + UInt(bytes)) & ~mask
        guard end > start, madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_HUGEPAGE) == 0 else { return nil }
        return start..<end
    }

    // <malloc.h> is not in the Glibc module map; these are its M_TRIM_THRESHOLD and M_MMAP_THRESHOLD.
    private static let mTrimThreshold: Int32 = -1
    private static let mMmapThreshold: Int32 = -3
}

@_silgen_name("mallopt")
private func c_mallopt(_ parameter: Int32, _ value: Int32) -> Int32
