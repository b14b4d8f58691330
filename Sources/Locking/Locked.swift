import Synchronization

/// The one lock keyrack's shared state lives behind: a value reached only inside `withLock`.
///
/// A class whose mutable state is one `let state = Locked(State())` is Sendable as the compiler
/// checks it, with no `@unchecked` of its own; this is the one place that says so by hand.
///
/// Built on the standard library's `Mutex` (a futex on Linux: no allocation, nothing to destroy),
/// but not `Mutex<Value>` itself: its `withLock` hands the value over as `sending`, which Swift 6
/// mode refuses for state holding non-Sendable references (the daemon's guarded buffers, a
/// daemon connection), and such state is the reason for the lock.
///
/// `@unchecked`: `value` is read and written only between the mutex's lock and unlock (in
/// `withLock`), which the compiler cannot see through a `Mutex<Void>`.
public final class Locked<Value>: @unchecked Sendable {
    private let mutex = Mutex(())
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, the lock held; `body` must not call back into this lock.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { _ in try body(&value) }
    }
}
