#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads are worth starting: the age pipeline's workers, the manifest decoder's
/// second half (KeysHalf).
public enum CPUs {
    /// The cores this process may run on, at least 1, as `ProcessInfo.activeProcessorCount`
    /// counts them without Foundation: its CPU affinity (which `taskset` and cgroup cpusets
    /// narrow; read from /proc, as Swift's Glibc does not see `sched_getaffinity`), capped by a
    /// cgroup v2 CPU quota.
    public static var available: Int {
        var cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        if let status = readSmallFileBytes("/proc/self/status"), let bits = allowed(status), bits > 0 { cores = bits }
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
    static func allowed(_ status: ArraySlice<UInt8>) -> Int? {
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
