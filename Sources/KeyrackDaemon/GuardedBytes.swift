import CSodium
import SecretBytes
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A secret value in libsodium guarded memory: locked in RAM (no swap, so never in a swap file),
/// fenced by guard pages, read-only except while it is written or wiped, and zeroed by `wipe()`
/// (relock, expiry) rather than whenever the last reference goes away.
///
/// Small values share a `GuardedSlab` rather than taking a `sodium_malloc` each: one allocation
/// per value costs four pages of address space and one locked page, so 10 000 grants would need
/// ~40 MiB of locked memory, far past the usual 8 MiB RLIMIT_MEMLOCK, and libsodium then silently
/// leaves them swappable. Values larger than `GuardedSlab.largestShared` get their own slab.
///
/// Values are not kept `PROT_NONE` between reads: the two mprotect calls a read would cost take
/// the process's mmap lock, and with 64 clients they halved the daemon's GET rate (scripts/bench).
/// What that protection guarded against, an over-read elsewhere in the daemon's own
/// memory-safe code, does not justify it; core dumps and ptrace are shut off by `Hardening`.
final class GuardedBytes {
    private let slab: GuardedSlab
    private let offset: Int
    /// The reserved size, kept so `isZeroed` can inspect all of it after a wipe.
    private let capacity: Int
    /// Number of meaningful bytes; 0 after `wipe()`.
    private(set) var count: Int
    private var released = false

    /// Copies `bytes` into guarded memory. The caller still owns (and should zero) its copy.
    convenience init(copying bytes: [UInt8]) throws {
        try self.init(reserving: bytes.count)
        slab.write { base in copy(bytes, into: base) }
    }

    /// Copies `raw` into guarded memory with no copy in between (a guarded value copied for a
    /// lease renewal, which must outlive a relock that wipes the original).
    convenience init(copying raw: UnsafeRawBufferPointer) throws {
        try self.init(reserving: raw.count)
        slab.write { base in if let source = raw.baseAddress { memcpy(base + offset, source, raw.count) } }
    }

    /// Room for `length` bytes, not yet written: the caller writes them under its slab's `write`.
    private init(reserving length: Int) throws {
        // At least one byte, so even an empty value has a place of its own to zero.
        capacity = max(length, 1)
        (slab, offset) = try GuardedSlab.reserve(capacity)
        count = length
    }

    /// A place `GuardedSlab.reserveAll` found, for `length` bytes not yet written.
    private init(slab: GuardedSlab, offset: Int, length: Int) {
        capacity = max(length, 1)
        self.slab = slab
        self.offset = offset
        count = length
    }

    private func copy(_ bytes: [UInt8], into base: UnsafeMutableRawPointer) {
        bytes.withUnsafeBytes { raw in
            if let source = raw.baseAddress { memcpy(base + offset, source, raw.count) }
        }
    }

    /// Copies each of `values` into guarded memory, as `init(copying:)` does one: an unlock's
    /// batch opens each slab for writing once (two mprotect calls) rather than once per value,
    /// which at 10 000 grants was 20 000 system calls, each taking the process's mmap lock.
    static func copying(_ values: [[UInt8]]) throws -> [GuardedBytes] {
        var reserved: [GuardedBytes] = []
        reserved.reserveCapacity(values.count)
        do {
            // Places for them all under one lock (and one per slab filled): reserving each
            // took two locks a value.
            try values.withUnsafeBufferPointer { values in
                try GuardedSlab.reserveAll(count: values.count, length: { max(values[$0].count, 1) }) { slab, offset in
                    reserved.append(GuardedBytes(slab: slab, offset: offset, length: values[reserved.count].count))
                }
            }
        } catch {
            // Nothing was written yet: the reservations are released (and their room zeroed).
            wipeAll(reserved)
            throw error
        }
        forEachSlab(of: reserved) { slab, run in
            slab.write { base in for i in run { reserved[i].copy(values[i], into: base) } }
        }
        return reserved
    }

    /// Wipes each of `values` (`wipe()`), opening each slab for writing once for the lot.
    /// Values reserved one after another lie back to back (only alignment padding, never part
    /// of a value, between them), so a run of them is zeroed as one stretch, and each slab is
    /// told of its run's values at once: a call and two locks per value were most of ending
    /// the 10 000 grants a re-unlock replaces.
    static func wipeAll(_ values: [GuardedBytes]) {
        values.withUnsafeBufferPointer { values in
            forEachSlab(of: values) { slab, run in
                guard run.contains(where: { !values[$0].released }) else { return }
                var released = 0
                slab.write { base in
                    // The stretch [from, to) gathered so far; from < 0: none yet.
                    var from = -1, to = 0
                    for i in run where !values[i].released {
                        let v = values[i]
                        v.count = 0
                        v.released = true
                        released += 1
                        if from >= 0, v.offset >= to, v.offset <= (to + 7) & ~7 { to = v.offset + v.capacity; continue }
                        if from >= 0 { zeroize(base + from, count: to - from) }
                        from = v.offset; to = v.offset + v.capacity
                    }
                    if from >= 0 { zeroize(base + from, count: to - from) }
                }
                slab.release(released)
            }
        }
    }

    /// Calls `body` once per run of consecutive values that share a slab (values reserved one
    /// after another fill one slab before the next, so the runs are few).
    private static func forEachSlab(of values: [GuardedBytes], _ body: (GuardedSlab, Range<Int>) -> Void) {
        values.withUnsafeBufferPointer { forEachSlab(of: $0, body) }
    }

    private static func forEachSlab(of values: UnsafeBufferPointer<GuardedBytes>, _ body: (GuardedSlab, Range<Int>) -> Void) {
        var start = 0
        while start < values.count {
            var end = start + 1
            while end < values.count && values[end].slab === values[start].slab { end += 1 }
            body(values[start].slab, start..<end)
            start = end
        }
    }

    /// Hands the value to `body`. The caller serialises reads with `wipe()` (GrantStore's lock).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard count > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: slab.base + offset, count: count))
    }

    /// Zeroes the value now (relock, expiry) rather than whenever the last reference goes away.
    func wipe() {
        slab.write { base in zeroize(base + offset, count: capacity) }
        count = 0
        if !released { released = true; slab.release() }
    }

    /// True when every reserved byte is zero: what the tests check after relock/expiry.
    var isZeroed: Bool {
        sodium_is_zero((slab.base + offset).assumingMemoryBound(to: UInt8.self), capacity) == 1
    }

    deinit { if !released { wipe() } }
}

/// One `sodium_malloc` region that values are carved from, front to back. Space is not reused:
/// the slab is zeroed and freed when its last value is wiped, which for grants (replaced
/// wholesale by each unlock, dropped by relock and expiry) keeps dead space short-lived.
final class GuardedSlab {
    /// Size of a shared slab: 16 pages of values behind one pair of guard pages.
    static let sharedSize = 64 * 1024
    /// Values above this size get a slab of their own.
    static let largestShared = 4 * 1024

    let base: UnsafeMutableRawPointer
    private let size: Int
    private var used = 0
    private var live = 0
    /// Lock order: `currentMutex` before a slab's `mutex` (reserve), never the reverse; nothing
    /// done under a slab's `mutex` (take, write, release's count) takes another lock.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    /// The shared slab new small values go to; a full one is dropped from here and freed by its
    /// last value.
    nonisolated(unsafe) private static var current: GuardedSlab?
    nonisolated(unsafe) private static let currentMutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        return m
    }()

    private init(size: Int) throws {
        Sodium.ensureInitialised()
        guard let p = sodium_malloc(size) else { throw DaemonError.outOfSecureMemory }
        memset(p, 0, size)
        sodium_mprotect_readonly(p)
        base = p
        self.size = size
        pthread_mutex_init(mutex, nil)
    }

    /// A slab and offset with `length` bytes free for a new value (8-byte aligned).
    static func reserve(_ length: Int) throws -> (GuardedSlab, Int) {
        if length > largestShared {
            let own = try GuardedSlab(size: length)
            return (own, own.take(length)!)
        }
        pthread_mutex_lock(currentMutex)
        defer { pthread_mutex_unlock(currentMutex) }
        if let slab = current, let offset = slab.take(length) { return (slab, offset) }
        let fresh = try GuardedSlab(size: sharedSize)
        current = fresh
        return (fresh, fresh.take(length)!)
    }

    /// `reserve` of `count` lengths in turn (`length(i)`, at least 1), each place handed to
    /// `place` in order: `currentMutex` taken once for the batch and a slab's lock once per
    /// slab filled, where `reserve` took both for every value. `place` must take no lock of
    /// these (it runs under a slab's lock).
    static func reserveAll(count: Int, length: (Int) -> Int, place: (GuardedSlab, Int) -> Void) throws {
        pthread_mutex_lock(currentMutex)
        defer { pthread_mutex_unlock(currentMutex) }
        var i = 0
        while i < count {
            let n = length(i)
            if n > largestShared {
                let own = try GuardedSlab(size: n)
                place(own, own.take(n)!)
                i += 1
                continue
            }
            let slab: GuardedSlab
            if let shared = current { slab = shared } else { slab = try GuardedSlab(size: sharedSize); current = slab }
            let first = i
            pthread_mutex_lock(slab.mutex)
            while i < count {
                let n = length(i)
                guard n <= largestShared, let offset = slab.takeLocked(n) else { break }
                place(slab, offset)
                i += 1
            }
            pthread_mutex_unlock(slab.mutex)
            // Full (nothing fitted, not even a large value's turn): the next values go to a fresh
            // slab; the full one is freed by its last value, as `reserve` leaves it.
            if i == first && length(i) <= largestShared { current = try GuardedSlab(size: sharedSize) }
        }
    }

    private func take(_ length: Int) -> Int? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return takeLocked(length)
    }

    private func takeLocked(_ length: Int) -> Int? {
        let offset = (used + 7) & ~7
        guard offset + length <= size else { return nil }
        used = offset + length
        live += 1
        return offset
    }

    /// Runs `body` with the slab writable, one writer at a time. Readers need no lock: the
    /// pages stay readable throughout.
    func write(_ body: (UnsafeMutableRawPointer) -> Void) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        sodium_mprotect_readwrite(base)
        defer { sodium_mprotect_readonly(base) }
        GuardedSlab.countWrite()
        body(base)
    }

    /// How many times a slab was opened for writing (two mprotect calls each), for the test that
    /// an unlock's batch opens each slab once, not once per value.
    static var writes: Int { writeCount.load(ordering: .relaxed) }
    /// An atomic, not under `currentMutex`: `write` counts with its slab's lock held, and
    /// `reserve` takes `currentMutex` and then a slab's lock; the count under `currentMutex`
    /// took the two the other way round, and two concurrent unlocks deadlocked the daemon
    /// (GuardedBytesTests testConcurrentReservationsAndWritesDoNotDeadlock).
    private static let writeCount = Atomic<Int>(0)
    private static func countWrite() {
        writeCount.add(1, ordering: .relaxed)
    }

    /// `values` values of this slab are gone; the last one leaving retires the slab from `current`.
    func release(_ values: Int = 1) {
        guard values > 0 else { return }
        pthread_mutex_lock(mutex)
        live -= values
        let empty = live == 0
        pthread_mutex_unlock(mutex)
        guard empty else { return }
        pthread_mutex_lock(GuardedSlab.currentMutex)
        if GuardedSlab.current === self { GuardedSlab.current = nil }
        pthread_mutex_unlock(GuardedSlab.currentMutex)
    }

    deinit {
        // sodium_free zeroes the region again before unmapping it.
        sodium_free(base)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
}

enum Sodium {
    private static let initialised: Bool = { sodium_init() >= 0 }()
    static func ensureInitialised() { _ = initialised }
}

