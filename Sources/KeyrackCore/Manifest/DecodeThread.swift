#if canImport(Glibc)
import Glibc
#endif
import Locking

/// One POSIX thread running a piece of a decode (KeysHalf), with one milestone the starter can
/// wait for before the whole work is done. Without Foundation's Thread or Dispatch: this is
/// all the decode needs, and `keyrack-cli` loads neither for it.
final class DecodeThread: @unchecked Sendable {
    private let monitor = Monitor()
    /// Set under `monitor`, once.
    private var reached = false
    private var thread: pthread_t?

    private init() {}

    /// Runs `body` on a new thread (a small stack: the decode does not recurse deeply); nil
    /// when no thread can be had. `body` is given the thread to mark its milestone on.
    static func start(_ body: @escaping (DecodeThread) -> Void) -> DecodeThread? {
        let started = DecodeThread()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, 1 << 20)
        let arg = Unmanaged.passRetained(Work { body(started) }).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { raw in
            let work = Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue()
            work.run()
            return nil
        }, arg)
        guard rc == 0 else {
            Unmanaged<Work>.fromOpaque(arg).release()
            return nil
        }
        started.thread = tid
        return started
    }

    private final class Work {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// On the thread: the milestone is reached (what it wrote before is the waiter's to read).
    /// Again is nothing.
    func reach() {
        monitor.lock()
        reached = true
        monitor.broadcast()
        monitor.unlock()
    }

    /// Waits for the milestone (or the thread's end, which reaches it too).
    func waitForMilestone() {
        monitor.lock()
        while !reached { monitor.wait() }
        monitor.unlock()
    }

    /// Waits for the thread's end. Again is nothing. Only the starter calls it.
    func join() {
        guard let thread else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }
}
