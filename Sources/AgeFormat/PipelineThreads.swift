#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The pipeline's threads on POSIX alone (its locks and core count are Locking's), without
// Foundation or Dispatch: the static `keyrack-age` runs `age encrypt/decrypt` through this
// pipeline, and linking Foundation (and Dispatch's thread pool) into it would cost more resident
// memory than the whole stream's buffers (issue 32's ≤ 16 MiB for a 1 GiB file).

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
}
