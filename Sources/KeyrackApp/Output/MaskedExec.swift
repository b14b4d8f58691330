import KeyrackClient
import KeyrackOutput
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes
import ProcessSpawn
import KeyrackClient

/// The child of `exec --mask`, whose pid the signal handlers forward to. A C signal handler can
/// capture nothing, so it lives here, set once before the handlers are installed.
private var maskedChild: pid_t = 0

/// `exec --mask`: runs the program with its stdout and stderr on pipes, and copies both to
/// keyrack's own through an `OutputMasker` each, so no granted value reaches a log or a terminal
/// in the clear, as `op run` does. stdin is the program's own. keyrack stays the program's parent
/// (it cannot exec itself away as plain `exec` does) and exits with its code, or 128 + the
/// signal that ended it, as a shell reports it.
public enum MaskedExec {
    /// `output`: where the program's stdout and stderr go, masked (keyrack's own; tests pass files).
    public static func run(_ command: [String], concealing secrets: [[UInt8]], output: (out: Int32, err: Int32) = (1, 2)) throws -> Int32 {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw CommandFailure("cannot make a pipe to mask the program's output: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec: the program gets the write ends as its 1 and 2 only.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // keyrack ignores the terminal's ^C and ^\ (the program gets them too, and decides);
        // the program starts with every signal at its default and none blocked, with keyrack's
        // environment (values in it, never copied).
        var spawn = Spawn(command[0], Array(command.dropFirst()))
        spawn.searchPath = true
        spawn.defaultSignals = true
        spawn.stdout = .descriptor(outPipe[1])
        spawn.stderr = .descriptor(errPipe[1])
        let started = spawn.start()
        close(outPipe[1])
        close(errPipe[1])
        let child: pid_t
        switch started {
        case .success(let pid): child = pid
        case .failure(let error):
            close(outPipe[0]); close(errPipe[0])
            if error.code == ENOENT { throw CommandFailure("\(command[0]): command not found on PATH", exitCode: 127) }
            throw CommandFailure("cannot run \(command[0]): \(String(cString: strerror(error.code)))", exitCode: 126)
        }
        maskedChild = child
        signal(SIGINT, SIG_IGN)
        signal(SIGQUIT, SIG_IGN)
        for s in [SIGTERM, SIGHUP] { signal(s) { kill(maskedChild, $0) } }

        pump([(outPipe[0], output.out), (errPipe[0], output.err)], secrets: secrets)

        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Copies each source to its target, masked, until every source is at its end.
    private static func pump(_ streams: [(from: Int32, to: Int32)], secrets: [[UInt8]]) {
        var maskers = streams.map { _ in OutputMasker(secrets: secrets) }
        var open = Array(repeating: true, count: streams.count)
        var buffer = [UInt8](repeating: 0, count: 16384)
        defer {
            zeroize(&buffer)
            for i in maskers.indices { maskers[i].wipe() }
        }
        while open.contains(true) {
            var fds = streams.indices.map { pollfd(fd: open[$0] ? streams[$0].from : -1, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in streams.indices where open[i] && fds[i].revents != 0 {
                let n = read(streams[i].from, &buffer, buffer.count)
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if n > 0 {
                    writeAll(streams[i].to, maskers[i].feed(buffer[0..<n]))
                } else {
                    writeAll(streams[i].to, maskers[i].finish())
                    close(streams[i].from)
                    open[i] = false
                }
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n > 0 { done += n } else if errno != EINTR { return }
        }
    }
}
