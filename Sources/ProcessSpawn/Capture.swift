#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// What a captured run produced.
public struct Captured: Sendable {
    /// The exit code, or 128 + the signal that ended the program.
    public var status: Int32
    /// stdout, which may hold a secret: the caller zeroes it after use.
    public var output: [UInt8]
    public var errorOutput: [UInt8]
    /// The program was still running at the deadline and was killed.
    public var timedOut: Bool
}

extension Spawn {
    /// Runs the program with stdout and stderr on pipes, both drained together (a chatty program
    /// cannot block on a full pipe), and stdin /dev/null or, with `input`, a pipe holding those
    /// bytes (never argv, never a file; written at once, so meant for what fits a pipe: 64 KiB).
    /// A program still running after `timeout` seconds is killed, and the reading goes on to its
    /// end. `stdin`, `stdout` and `stderr` of `self` are replaced.
    public func capture(input: [UInt8]? = nil, timeout: Double) -> Result<Captured, SpawnError> {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        guard Spawn.pipe(&outPipe) == 0 else { return .failure(SpawnError(executable: executable, code: errno)) }
        guard Spawn.pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            return .failure(SpawnError(executable: executable, code: errno))
        }
        if input != nil, Spawn.pipe(&inPipe) != 0 {
            for fd in outPipe + errPipe { close(fd) }
            return .failure(SpawnError(executable: executable, code: errno))
        }
        var spawn = self
        spawn.stdin = input == nil ? .null : .descriptor(inPipe[0])
        spawn.stdout = .descriptor(outPipe[1])
        spawn.stderr = .descriptor(errPipe[1])
        let started = spawn.start()
        // The child has its copies; the parent keeps only its ends.
        close(outPipe[1]); close(errPipe[1])
        if input != nil { close(inPipe[0]) }
        guard case .success(let pid) = started else {
            close(outPipe[0]); close(errPipe[0])
            if input != nil { close(inPipe[1]) }
            if case .failure(let error) = started { return .failure(error) }
            return .failure(SpawnError(executable: executable, code: EINVAL))
        }
        if let input {
            var sent = 0
            while sent < input.count {
                let n = input.withUnsafeBytes { write(inPipe[1], $0.baseAddress! + sent, input.count - sent) }
                if n > 0 { sent += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
            close(inPipe[1])
        }

        var result = Captured(status: 0, output: [], errorOutput: [], timedOut: false)
        result.output.reserveCapacity(64 << 10)   // values are small: no regrowth leaving copies behind
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        defer { zeroize(&chunk) }
        var open = [outPipe[0], errPipe[0]]
        var reaped: Int32?
        let deadline = Spawn.monotonicMilliseconds() + Int64(timeout * 1000)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            // After the kill, a grandchild (a shell's `sleep`) may still hold the pipes open:
            // look every 100 ms whether the program itself is gone, and stop reading then.
            let left = result.timedOut ? 100 : Int32(clamping: max(deadline - Spawn.monotonicMilliseconds(), 0))
            let ready = poll(&fds, nfds_t(fds.count), left)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 {
                if !result.timedOut {
                    result.timedOut = true
                    kill(pid, SIGKILL)
                } else {
                    var status: Int32 = 0
                    if waitpid(pid, &status, WNOHANG) == pid {
                        reaped = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                        for fd in open { close(fd) }
                        open = []
                    }
                }
                continue
            }
            for entry in fds where entry.revents != 0 {
                let n = read(entry.fd, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                } else if entry.fd == outPipe[0] {
                    result.output += chunk[0..<n]
                } else {
                    result.errorOutput += chunk[0..<n]
                }
            }
        }
        result.status = reaped ?? Spawn.wait(pid)
        return .success(result)
    }

    /// A pipe whose ends close on exec: the child gets only the copies made for it. (pipe2 with
    /// O_CLOEXEC would be atomic, but Swift's Glibc module does not declare it.)
    static func pipe(_ fds: inout [Int32]) -> Int32 {
        guard Glibc.pipe(&fds) == 0 else { return -1 }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
