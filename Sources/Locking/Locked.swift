#if canImport(Glibc)
import Glibc
#endif

/// The one lock keyrack's shared state lives behind: a value reached only inside `withLock`.
///
/// A class whose mutable state is one `let state = Locked(State())` is Sendable as the compiler
/// checks it, with no `@unchecked` of its own; this is the one place that says so by hand.
///
/// An adaptive pthread mutex (waiters spin briefly before they sleep), not the standard
/// library's `Mutex`: on Linux that is a priority-inheritance futex, whose every contended lock
/// is a system call, and the daemon's grant store is contended by 64 clients at once — with it,
/// `scripts/bench`'s 64-client GET rate fell from 31 812 to 15 806 GET/s (target 30 000).
/// The mutex lives on the heap: a pthread mutex must not move once initialised.
///
/// `@unchecked`: `value` is read and written only between lock and unlock (in `withLock`),
/// which the compiler cannot see.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, the lock held; `body` must not call back into this lock.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
