#if canImport(Glibc)
import Glibc
#endif

/// Detached POSIX threads, without Foundation (the client side of this module must
/// load fast; see DaemonClient).
enum Threads {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a detached thread with a small stack (connection handlers need little).
    static func detach(stackSize: Int = 512 << 10, _ body: @escaping () -> Void) -> Bool {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackSize)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        let arg = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, arg)
        if rc != 0 { Unmanaged<Box>.fromOpaque(arg).release(); return false }
        return true
    }
}

extension Threads {
    /// Runs each of `works` on a detached thread of its own (inline if no thread can be had).
    /// `waitMilliseconds`: returns once all are done or after that long, whichever comes first
    /// (RELOCK answers after its revocations); nil: returns at once (the accept loop must not be
    /// held up by a slow server).
    static func runEach(_ works: [() -> Void], waitMilliseconds: Int32?) {
        guard !works.isEmpty else { return }
        var pair: [Int32] = [-1, -1]
        let signalling = waitMilliseconds != nil
            && socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0
        var started = 0
        for body in works {
            let done = signalling ? dup(pair[1]) : -1
            let work: () -> Void = {
                body()
                if done >= 0 {
                    var byte: UInt8 = 1
                    _ = send(done, &byte, 1, Int32(MSG_NOSIGNAL))  // the waiter may have given up
                    close(done)
                }
            }
            if detach(work) { started += 1 } else { if done >= 0 { close(done) }; body() }
        }
        guard signalling, let wait = waitMilliseconds else { return }
        close(pair[1])
        defer { close(pair[0]) }
        let deadline = Clock.bootMilliseconds() + UInt64(max(wait, 0))
        var finished = 0, byte: UInt8 = 0
        while finished < started {
            var pfd = pollfd(fd: pair[0], events: Int16(POLLIN), revents: 0)
            let left = Int32(clamping: Int64(deadline) - Int64(Clock.bootMilliseconds()))
            let ready = poll(&pfd, 1, max(left, 0))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0, recv(pair[0], &byte, 1, 0) == 1 else { break }
            finished += 1
        }
    }
}
