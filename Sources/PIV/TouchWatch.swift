import Foundation

/// Calls `notify` once if an operation is still running after `delay` seconds. The card gives no
/// signal that it waits for a touch — the reply simply comes late — so "slow" is the only cue,
/// and half a second separates a touch wait from a normal ECDH by two orders of magnitude.
final class TouchWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private(set) var fired = false

    init(after delay: Double, notify: (() -> Void)?) {
        guard let notify else { return }
        let box = UncheckedBox(notify)
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self else { return }
            self.lock.lock()
            let shouldFire = !self.done
            if shouldFire { self.fired = true }
            self.lock.unlock()
            if shouldFire { box.value() }
        }
    }

    func finish() {
        lock.lock()
        done = true
        lock.unlock()
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
