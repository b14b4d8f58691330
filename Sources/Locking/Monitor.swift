#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// On POSIX alone, without Foundation or Dispatch: the static `keyrack-age` runs its pipeline
// on these, and the manifest decoder its second thread (KeysHalf).

/// A mutex with one condition variable: `lock`/`unlock` alone serve as a plain lock.
public final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits for a `broadcast`; the caller holds the lock, and holds it again on return.
    public func wait() { pthread_cond_wait(condition, mutex) }
    public func broadcast() { pthread_cond_broadcast(condition) }
}
