extension DaemonServer {
    /// Starts the lease renewals that are due (GrantStore.dueRenewals), each on a thread of its
    /// own, through the renewer this process was given: the outcome goes back to the store, is
    /// logged (slugs and the renewer's reason, never a secret), a lease found gone has its grants'
    /// revocations run, and the loop is woken to schedule the next renewal. `waiting`: returns
    /// once they are done (tests; the loop never waits). Returns the milliseconds until the next
    /// renewal falls due, nil when none is scheduled.
    @discardableResult
    func renewDue(waiting: Bool) -> UInt64? {
        let due = store.dueRenewals()
        let renewer = self.renewer, store = self.store, log = self.log
        Threads.runEach(due.map { r in { [weak self] in
            defer { r.wipe() }
            let outcome = renewer.map { $0(r) } ?? .failed("no renewer in this process")
            let left = store.finish(r, outcome)
            log(Self.renewalLine(r, outcome, leftMilliseconds: left))
            if case .ended = outcome { self?.revokeEnded(waiting: false) }
            self?.wake()
        } }, waitMilliseconds: waiting ? Self.revocationWaitMilliseconds : nil)
        return store.nextRenewalMilliseconds()
    }

    static func renewalLine(_ r: Renewal, _ outcome: RenewalOutcome, leftMilliseconds left: UInt64?) -> String {
        let which = "the lease of \(r.slugs.map(\.description).joined(separator: ", "))"
        switch outcome {
        case .renewed(let seconds):
            guard left != nil else { return "renewed \(which) for \(seconds)s, but its grants had ended meanwhile" }
            return seconds < r.incrementSeconds
                ? "renewed \(which) for \(seconds)s of the \(r.incrementSeconds)s asked: it met its maximum, so its grants end with it"
                : "renewed \(which) for \(seconds)s"
        case .atMaximum(let why):
            guard let left else { return "\(which) met its maximum (\(why)), and its grants had ended meanwhile" }
            return "\(which) met its maximum (\(why)): it is not renewed again, so its grants end with it in \(left / 1000)s"
        case .failed(let why):
            guard let left else { return "could not renew \(which): \(why) (its grants had ended meanwhile)" }
            return "could not renew \(which): \(why); it ends in \(left / 1000)s unless a retry before then succeeds"
        case .ended(let why):
            return "\(which) is gone (\(why)): its grants ended"
        }
    }
}
