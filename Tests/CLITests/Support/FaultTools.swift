import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Tools the fault-injection and secret-hygiene tests share: a keyrack process watched while it
/// runs, and a scan of another process's memory. They need root (/proc/PID/mem), which the test
/// command has; without it they fail. (The tmpfs to fill: TestSupport's TmpfsMount.)

/// A keyrack process started in the background, its stderr collected as it arrives, so a test
/// can act at a precise moment of its run (e.g. when it prints "touch your YubiKey").
final class WatchedProcess {
    let process = Process()
    private let errPipe = Pipe(), outPipe = Pipe()
    private let lock = NSLock()
    private var errBytes = Data(), outBytes = Data()
    private let done = DispatchGroup()

    init(_ executable: String, _ arguments: [String], environment: [String: String?], stdin: [UInt8] = [], cwd: URL? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let cwd { process.currentDirectoryURL = cwd }
        let inPipe = Pipe()
        process.standardInput = inPipe
        process.standardOutput = outPipe
        process.standardError = errPipe
        try process.run()
        for (pipe, isErr) in [(errPipe, true), (outPipe, false)] {
            done.enter()
            let handle = pipe.fileHandleForReading
            DispatchQueue.global().async { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    lock.lock()
                    if isErr { errBytes.append(chunk) } else { outBytes.append(chunk) }
                    lock.unlock()
                }
                done.leave()
            }
        }
        if !stdin.isEmpty { try? inPipe.fileHandleForWriting.write(contentsOf: Data(stdin)) }
        try? inPipe.fileHandleForWriting.close()
    }

    var pid: Int32 { process.processIdentifier }
    var err: String { lock.lock(); defer { lock.unlock() }; return String(decoding: errBytes, as: UTF8.self) }
    var out: String { lock.lock(); defer { lock.unlock() }; return String(decoding: outBytes, as: UTF8.self) }

    /// Polls until `condition` holds or the process exits, up to `seconds`; returns whether it held.
    func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            usleep(5_000)
        }
        return condition()
    }

    /// Waits for the exit (killing it after `seconds`) and returns what it left.
    func finish(seconds: Double = 30) -> (status: Int32, out: String, err: String) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        done.wait()
        return (process.terminationStatus, out, err)
    }
}

/// Reads every mapped region of process `pid` through /proc/PID/mem (root reads even regions
/// the process itself keeps PROT_NONE, such as libsodium's guarded pages) and reports whether
/// `needle` occurs anywhere. Regions that cannot be read (vvar, vsyscall) are skipped.
func processMemory(of pid: Int32, contains needle: [UInt8]) throws -> (found: Bool, bytesRead: Int) {
    // Read to EOF by hand: Foundation's whole-file read trusts st_size, which /proc reports as
    // 0, and stops after the first page of the map.
    let maps = String(decoding: try readProcFile("/proc/\(pid)/maps"), as: UTF8.self)
    let fd = open("/proc/\(pid)/mem", O_RDONLY)
    guard fd >= 0 else { throw NSError(domain: "mem", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "cannot open /proc/\(pid)/mem: \(String(cString: strerror(errno)))"]) }
    defer { close(fd) }
    var total = 0
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk + needle.count, alignment: 16)
    defer { buffer.deallocate() }
    for line in maps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2 else { continue }
        let name = fields.count >= 6 ? String(fields[5]) : ""
        if name == "[vvar]" || name == "[vsyscall]" || name == "[vvar_vclock]" { continue }
        let range = fields[0].split(separator: "-")
        guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16) else { continue }
        // File-backed read-only mappings of binaries and libraries cannot hold a runtime secret,
        // and skipping them keeps the scan short; everything writable or anonymous is read.
        let perms = fields[1]
        if !name.isEmpty && name.hasPrefix("/") && !perms.contains("w") { continue }
        var offset = start
        var carry = 0
        while offset < end {
            let want = Int(min(UInt64(chunk), end - offset))
            let n = pread(fd, buffer.advanced(by: carry), want, off_t(Int64(bitPattern: offset)))
            if n <= 0 { break }
            total += n
            let haystack = carry + n
            if contains(UnsafeRawBufferPointer(start: buffer, count: haystack), needle) { return (true, total) }
            // Keep the tail so a needle straddling two chunks is still found.
            carry = min(needle.count - 1, haystack)
            memmove(buffer, buffer.advanced(by: haystack - carry), carry)
            offset += UInt64(n)
        }
    }
    return (false, total)
}

/// A /proc file's whole content (their st_size is 0, so read until EOF).
func readProcFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw NSError(domain: "proc", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "cannot open \(path)"]) }
    defer { close(fd) }
    var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        out += buffer[0..<n]
    }
    return out
}

/// Whether `needle` occurs in `haystack` (memchr for the first byte, then memcmp).
private func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
    guard let base = haystack.baseAddress, !needle.isEmpty, haystack.count >= needle.count else { return false }
    var p = base
    let last = base + (haystack.count - needle.count)
    while p <= last {
        guard let hit = memchr(p, Int32(needle[0]), last - p + 1) else { return false }
        if memcmp(hit, needle, needle.count) == 0 { return true }
        p = UnsafeRawPointer(hit) + 1
    }
    return false
}

/// A fresh random secret for one test: printable, long enough never to occur by chance.
func randomSecret(_ label: String = "s") -> String {
    "\(label)-" + randomBytes(18).map { String(format: "%02x", $0) }.joined()
}

/// A fresh random 8-digit PIN for one test card (never a leading zero, so it stays 8 digits).
func randomPIN() -> String { String(Int.random(in: 10_000_000..<100_000_000)) }
