import Foundation
import Locking

/// Calls `notify` once if an operation is still running after `delay` seconds. The card gives no
/// signal that it waits for a touch — the reply simply comes late — so "slow" is the only cue,
/// and half a second separates a touch wait from a normal ECDH by two orders of magnitude.
final class TouchWatch: Sendable {
    private let state = Locked((done: false, fired: false))
    var fired: Bool { state.withLock { $0.fired } }

    init(after delay: Double, notify: (() -> Void)?) {
        guard let notify else { return }
        let box = UncheckedBox(notify)
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self else { return }
            let shouldFire = self.state.withLock { s -> Bool in
                if !s.done { s.fired = true }
                return !s.done
            }
            if shouldFire { box.value() }
        }
    }

    func finish() {
        state.withLock { $0.done = true }
    }
}

/// `@unchecked`: carries the caller's notify closure (not declared @Sendable by the PIV API's
/// callers) to the one timer callback that calls it; nothing else touches it.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
