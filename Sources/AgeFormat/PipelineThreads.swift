#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The pipeline's threads and locks on POSIX alone, without Foundation or Dispatch: the
// static `keyrack-age` runs `age encrypt/decrypt` through this pipeline, and linking Foundation
// (and Dispatch's thread pool) into it would cost more resident memory than the whole stream's
// buffers (issue 32's ≤ 16 MiB for a 1 GiB file).

/// A mutex with one condition variable: `lock`/`unlock` alone serve as a plain lock.
final class PipelineMonitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits for a `broadcast`; the caller holds the lock, and holds it again on return.
    func wait() { pthread_cond_wait(condition, mutex) }
    func broadcast() { pthread_cond_broadcast(condition) }
}

enum PipelineThreads {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Runs `body(0)` on the calling thread and `body(1)`…`body(count - 1)` on threads of their
    /// own, and returns when all are done. A thread that cannot be started runs its share on the
    /// calling thread afterwards: the work is the same, only slower. Stacks are small: a worker
    /// calls the cipher and read/write, no deep recursion.
    static func run(_ count: Int, stackSize: Int = 256 << 10, _ body: @escaping (Int) -> Void) {
        var started: [pthread_t] = []
        var inline: [Int] = []
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackSize)
        for i in 1..<max(count, 1) {
            let arg = Unmanaged.passRetained(Body { body(i) }).toOpaque()
            var tid = pthread_t()
            let rc = pthread_create(&tid, &attr, { raw in
                Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, arg)
            if rc == 0 { started.append(tid) } else {
                Unmanaged<Body>.fromOpaque(arg).release()
                inline.append(i)
            }
        }
        body(0)
        for i in inline { body(i) }
        for tid in started { pthread_join(tid, nil) }
    }

    /// The cores this process may run on, at least 1, as `ProcessInfo.activeProcessorCount`
    /// counts them without Foundation: its CPU affinity (which `taskset` and cgroup cpusets
    /// narrow; read from /proc, as Swift's Glibc does not see `sched_getaffinity`), capped by a
    /// cgroup v2 CPU quota.
    static var availableCores: Int {
        var cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        if let status = readSmallFileBytes("/proc/self/status"), let bits = allowedCPUs(status), bits > 0 { cores = bits }
        // "max 100000" is no quota; "150000 100000" is 1.5 cores' worth, which rounds up to 2.
        if let max = readSmallFile("/sys/fs/cgroup/cpu.max")?.split(separator: " "), max.count == 2,
           let quota = Int(max[0]), let period = Int(max[1].filter { $0 != "\n" }), quota > 0, period > 0 {
            cores = min(cores, Swift.max(1, (quota + period - 1) / period))
        }
        return cores
    }

    /// The CPUs set in the `Cpus_allowed:` line of /proc/self/status (hex digits, commas
    /// between 32-bit words), or nil without one. Over bytes: splitting the file into String
    /// lines cost 0.66 M instructions, before every payload (callgrind of an unlock).
    static func allowedCPUs(_ status: ArraySlice<UInt8>) -> Int? {
        let key = Array("Cpus_allowed:".utf8)
        var i = status.startIndex
        while i + key.count <= status.endIndex {
            if i == status.startIndex || status[i - 1] == 0x0A, status[i..<(i + key.count)].elementsEqual(key) { break }
            i += 1
        }
        guard i + key.count <= status.endIndex else { return nil }
        var bits = 0
        for c in status[(i + key.count)...] {
            if c == 0x0A { break }
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): bits += (c - UInt8(ascii: "0")).nonzeroBitCount
            case UInt8(ascii: "a")...UInt8(ascii: "f"): bits += (c - UInt8(ascii: "a") + 10).nonzeroBitCount
            case UInt8(ascii: "A")...UInt8(ascii: "F"): bits += (c - UInt8(ascii: "A") + 10).nonzeroBitCount
            default: break
            }
        }
        return bits
    }

    /// A small text file's contents, or nil.
    private static func readSmallFile(_ path: String) -> String? {
        readSmallFileBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A small file's bytes (its first 8 KiB), or nil.
    private static func readSmallFileBytes(_ path: String) -> ArraySlice<UInt8>? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return bytes[..<n]
    }
}
