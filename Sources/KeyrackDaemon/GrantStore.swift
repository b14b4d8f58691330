#if canImport(Glibc)
import Glibc
import KeyrackNames
#endif
import Locking

/// The daemon's memory: grants with absolute expiry, the tombstones of grants that expired (so
/// `get` can say "expired" rather than "locked"), and the catalog of slugs the owner's manifest
/// holds (names only, sent at unlock, so `get` can tell "locked" from "absent" without the
/// daemon ever seeing a manifest). The catalog is the slugs listed plus those of the live
/// grants: a re-unlock that grants what the manifest holds then touches no catalog at all.
///
/// Expiry is checked on every read, not by timers: a grant is dead the instant its deadline
/// passes, whether or not the sweep has run. Relock and expiry wipe the value immediately.
/// A grant over a renewable lease also ends when the lease does; the store says which leases
/// are due for renewal (`dueRenewals`) and takes the outcomes (`finish`), the server does the calls.
/// One lock guards everything (all mutable state is in `state`); every critical section is a
/// dictionary operation and at most one small copy, so contention stays far below socket costs.
public final class GrantStore: Sendable {
    fileprivate struct Entry {
        var info: GrantInfo
        /// Boot-clock deadline in ms.
        var deadline: UInt64
        var value: GuardedBytes
        var revocation: String?
        var secret: GuardedBytes?
        /// The renewable lease the value lives on, nil when it lasts the whole grant on its own.
        var lease: LeaseSchedule?

        /// When the grant ends: its deadline, or its lease's end if that comes first.
        var ends: UInt64 { min(deadline, lease?.end ?? .max) }
        /// What status shows: the deadline while renewals are to carry the lease there, else `ends`.
        var shownEnd: UInt64 { lease?.next != nil ? deadline : ends }

        /// The grant `request` asks for, at boot-clock `t` and wall clock `wall` (ms). Borrowed,
        /// not copied: a copy retained and released each string and array of the request.
        init(_ request: borrowing GrantRequest, value: GuardedBytes, secret: GuardedBytes?, now t: UInt64, wall: UInt64) {
            info = GrantInfo(slug: request.slug, vault: request.vault, remainingMilliseconds: request.ttlMilliseconds,
                             expiresAtWallMilliseconds: wall &+ request.ttlMilliseconds, sendTo: request.sendTo)
            deadline = t &+ request.ttlMilliseconds
            self.value = value
            revocation = request.revocation
            self.secret = secret
            lease = Entry.lease(of: request, now: t)
        }

        /// The grant of the same slug that the request at `place` asks for, made of this one in
        /// place (a re-unlock): the value, deadline and expiry are the request's, and names
        /// equal to the request's (the slug always, the vault and destinations nearly always) are
        /// kept as they are. A new entry per grant retained every string of the request, and the
        /// entry it replaced was moved out and released (the daemon's largest cost of a
        /// re-unlock). The value it held goes to `ending`, which wipes it or hands it to the
        /// revoker. The request is read where it lies in the caller's buffer: passed as a value
        /// into this mutation of the table's entry, it was copied (strings and arrays retained).
        mutating func renew(_ place: UnsafePointer<GrantRequest>, value: GuardedBytes, secret: GuardedBytes?, now t: UInt64, wall: UInt64,
                            ending: inout Ending) {
            ending.end(self)
            self.value = value
            self.secret = secret
            deadline = t &+ place.pointee.ttlMilliseconds
            info.remainingMilliseconds = place.pointee.ttlMilliseconds
            info.expiresAtWallMilliseconds = wall &+ place.pointee.ttlMilliseconds
            if info.vault != place.pointee.vault { info.vault = place.pointee.vault }
            if info.sendTo != place.pointee.sendTo { info.sendTo = place.pointee.sendTo }
            if revocation != place.pointee.revocation { revocation = place.pointee.revocation }
            lease = Entry.lease(of: place.pointee, now: t)
        }

        /// A lease that outlasts the grant needs no renewal: the grant's end revokes it.
        private static func lease(of request: borrowing GrantRequest, now t: UInt64) -> LeaseSchedule? {
            request.revocation == nil ? nil : request.leaseMilliseconds.flatMap {
                $0 < request.ttlMilliseconds ? LeaseSchedule(now: t, milliseconds: $0) : nil
            }
        }
    }

    /// The grants that end in one call (relock, expiry, replacement): their values, to be wiped
    /// in one batch (each slab opened for writing once), and the revocations of those whose
    /// credential must be revoked (kept guarded until `takeRevocations` hands them on).
    fileprivate struct Ending {
        var wiped: [GuardedBytes] = []
        var revoked: [Revocation] = []

        mutating func end(_ entry: borrowing Entry) {
            if let note = entry.revocation {
                revoked.append(Revocation(slug: entry.info.slug, note: note, value: entry.value, secret: entry.secret))
            } else {
                wiped.append(entry.value)
                if let secret = entry.secret { wiped.append(secret) }
            }
        }
    }

    /// What `put(asSent:)` did: the wall clock (ms) the expiries count from (every grant is
    /// stored as sent: its remaining time is its TTL, its expiry `wall` + TTL), and the storage
    /// of the grants it replaced, wiped already, for the caller to let go of when it suits it
    /// (the server: after its reply, so the client does not wait for the frees).
    struct Stored {
        let wall: UInt64
        let wiped: [GuardedBytes]
    }

    fileprivate struct State {
        /// The live grants, in a dense table walked in order by a re-unlock (SlugTable).
        var grants = SlugTable<Entry>()
        /// Ended grants whose credential must still be revoked, values kept (guarded) until then.
        var pending: [Revocation] = []
        var expired: Set<Slug> = []
        /// The catalog's slugs beyond the live grants' (which are in it too): those the last
        /// catalog listed and those of grants that ended since. A grant that ends keeps its slug
        /// in the catalog, so `get` says "locked" for it, never "absent".
        var listed = SlugCatalog()
        var expireObserver: (([Slug]) -> Void)? = nil
    }
    private let state = Locked(State())
    private let now: @Sendable () -> UInt64

    /// Upper bound on grants, so a runaway client cannot exhaust locked memory or map count.
    public static let maximumGrants = 20_000

    /// `now` is the boot clock in ms; tests pass their own to step time without sleeping.
    public init(now: @escaping @Sendable () -> UInt64 = Clock.bootMilliseconds) {
        self.now = now
    }

    deinit {
        state.withLock { s in
            for entry in s.grants.values { entry.value.wipe(); entry.secret?.wipe() }
            for r in s.pending { r.wipe() }
        }
    }

    private func locked<R>(_ body: (inout State) throws -> R) rethrows -> R {
        try state.withLock(body)
    }

    // MARK: writes

    /// Stores the grants, replacing any earlier grant of the same slug (a re-unlock extends the TTL).
    /// With `catalog` (an unlock's: the manifest's slugs that are not among these grants), the
    /// catalog becomes those and these grants' slugs, as `setCatalog` of the whole list would
    /// make it, even when the grants are refused. Returns what was stored, expiries as this
    /// store's clocks set them.
    @discardableResult
    public func put(_ requests: [GrantRequest], catalog: [Slug]? = nil) throws -> [GrantInfo] {
        let wall = try put(asSent: requests, catalog: catalog).wall
        return requests.map {
            GrantInfo(slug: $0.slug, vault: $0.vault, remainingMilliseconds: $0.ttlMilliseconds,
                      expiresAtWallMilliseconds: wall &+ $0.ttlMilliseconds, sendTo: $0.sendTo)
        }
    }

    /// `put`, answering what was stored in short (`Stored`): each grant is stored as its request
    /// says, so the server answers and records an unlock from the requests themselves, with no
    /// `GrantInfo` made per grant, and frees what the grants replaced once it has answered.
    func put(asSent requests: [GrantRequest], catalog: [Slug]?) throws -> Stored {
        do { return try store(requests, listing: catalog.map(SlugCatalog.init)) } catch {
            // Refused (too many grants, no guarded memory), yet named by the unlock's manifest.
            if let catalog { setCatalog(catalog + requests.map(\.slug)) }
            throw error
        }
    }

    private func store(_ requests: [GrantRequest], listing listed: SlugCatalog?) throws -> Stored {
        // One batch: each guarded slab is opened for writing once for all the values it takes.
        let guarded = try GuardedBytes.copying(requests.map(\.value))
        let withSecret = requests.indices.filter { requests[$0].revocation != nil && requests[$0].revocationSecret != nil }
        let secretCopies: [GuardedBytes]
        do { secretCopies = try GuardedBytes.copying(withSecret.map { requests[$0].revocationSecret! }) } catch {
            GuardedBytes.wipeAll(guarded)
            throw error
        }
        var secrets = [GuardedBytes?](repeating: nil, count: withSecret.isEmpty ? 0 : requests.count)
        for (i, copy) in zip(withSecret, secretCopies) { secrets[i] = copy }
        return try locked { s in
            // The slugs not held yet. Far from the limit, every request counts as fresh (an
            // upper bound, which cannot pass the limit): no lookup per grant. Nearer, counted
            // with one lookup each; nearer still, where a slug sent twice must count once,
            // through a set of them (two hashes a slug).
            var fresh = requests.count
            if s.grants.count + fresh > GrantStore.maximumGrants {
                fresh = 0
                for request in requests where !s.grants.contains(request.slug) { fresh += 1 }
            }
            if s.grants.count + fresh > GrantStore.maximumGrants {
                fresh = Set(requests.map(\.slug)).subtracting(s.grants.slugs).count
            }
            guard s.grants.count + fresh <= GrantStore.maximumGrants else {
                GuardedBytes.wipeAll(guarded + secretCopies)
                throw DaemonError.tooManyGrants(GrantStore.maximumGrants)
            }
            if let listed { s.listed = listed }
            let t = now(), wall = Clock.wallMilliseconds()
            var ending = Ending()
            // A first unlock (nothing held) inserts each grant with one lookup, in a table
            // reserved for them all; a re-unlock finds each held slug once and renews its entry
            // in place (`Entry.renew`), and reserving for the upper bound would double the table.
            let first = s.grants.isEmpty
            if first { s.grants.reserveCapacity(fresh) } else { ending.wiped.reserveCapacity(requests.count) }
            // Where the next held grant is looked for first: right after the last one found. A
            // re-unlock sends the slugs of the last unlock in the same order, so each is found
            // by one comparison, walking the table front to back, with no hash of its slug.
            var next = 0
            // Each request read in place (through the buffer): a zip, or a request taken out of
            // the array, copied it (and retained its strings and arrays) once per grant.
            requests.withUnsafeBufferPointer { requests in
                for i in requests.indices {
                    let secret = secrets.isEmpty ? nil : secrets[i]
                    if !s.expired.isEmpty { s.expired.remove(requests[i].slug) }
                    // The slug is in the catalog as long as the grant lives, and stays there when it ends.
                    let held = first ? nil
                        : next < s.grants.count && s.grants.slug(at: next) == requests[i].slug ? next
                        : s.grants.place(of: requests[i].slug)
                    if let held {
                        s.grants[at: held].renew(requests.baseAddress! + i, value: guarded[i], secret: secret, now: t, wall: wall, ending: &ending)
                        next = held + 1
                    } else if let old = s.grants.updateValue(Entry(requests[i], value: guarded[i], secret: secret, now: t, wall: wall),
                                                             forKey: requests[i].slug) {
                        // A slug sent twice in a first unlock: the later grant replaces the earlier.
                        ending.end(old)
                    }
                }
            }
            // The grants replaced end now, still under the lock (as one at a time did before),
            // their values wiped in one batch.
            s.end(ending)
            return Stored(wall: wall, wiped: ending.wiped)
        }
    }

    /// Replaces the catalog: every slug the owner's manifest holds, and those of the live grants.
    /// Names only, never values.
    public func setCatalog(_ slugs: [Slug]) {
        let listed = SlugCatalog(slugs)
        locked { s in s.listed = listed }
    }

    /// Removes grants and wipes their values. `key` is a full slug or a bare key name; with
    /// neither `key` nor `env`, everything goes. Returns the slugs relocked, sorted.
    @discardableResult
    public func relock(env: String? = nil, key: String? = nil) -> [Slug] {
        locked { s in
            let full = key.flatMap { Slug(parsing: $0) }
            func matches(_ s: Slug) -> Bool {
                if let full { return s == full }
                if let key, s.key != key { return false }
                if let env, s.env != env { return false }
                return true
            }
            var gone: [Slug] = []
            var ended: [Entry] = []
            // From the back: a removal moves the last grant into the hole, which was looked at.
            for place in s.grants.indices.reversed() where matches(s.grants.slug(at: place)) {
                let removed = s.grants.remove(at: place)
                ended.append(removed.value)
                gone.append(removed.slug)
            }
            s.endAll(ended)
            for slug in s.expired where matches(slug) { s.expired.remove(slug) }
            // Slug's own order is its description's, compared in place: building both strings
            // per comparison was 650 M instructions for a relock of 10 000 grants (daemon stop).
            // Sorted once, for the answer and the catalog's merge.
            gone.sort()
            s.listed.formUnion(sortedUnique: gone)
            return gone
        }
    }

    /// Wipes every grant whose deadline has passed, keeping a tombstone. Called by every read
    /// and by the server's periodic sweep. Returns the number of live grants left.
    @discardableResult
    public func purgeExpired() -> Int { locked { s in s.purgeExpired(now: now()); return s.grants.count } }

    /// The revocations of the grants that ended since the last call; the caller revokes, then
    /// wipes each (`Revocation.wipe`).
    public func takeRevocations() -> [Revocation] {
        locked { s in
            defer { s.pending = [] }
            return s.pending
        }
    }

    /// Told which grants just expired (the daemon's access log). Called under the store's lock,
    /// so it must not call back into the store.
    public var onExpire: (([Slug]) -> Void)? {
        get { locked { $0.expireObserver } }
        set { locked { $0.expireObserver = newValue } }
    }

    // MARK: leases

    /// The leases due for renewal now, one `Renewal` per lease (the live grants of one note), each
    /// asking for its first duration again but never past the latest of its grants' deadlines, and
    /// marked in flight until `finish` takes its outcome. A lease whose grants end within a second
    /// is not renewed: they end with it.
    public func dueRenewals() -> [Renewal] {
        locked { s in
            s.purgeExpired(now: now())
            let t = now()
            var due: [String: [Slug]] = [:]
            for place in s.grants.indices {
                let slug = s.grants.slug(at: place), e = s.grants[at: place]
                guard let lease = e.lease, !lease.inFlight, let next = lease.next, next <= t, let note = e.revocation else { continue }
                due[note, default: []].append(slug)
            }
            var out: [Renewal] = []
            for (note, slugs) in due.sorted(by: { $0.key < $1.key }) {
                let slugs = slugs.sorted()
                let entries = slugs.compactMap { s.grants[$0] }
                let latest = entries.map(\.deadline).max() ?? t
                let period = entries.compactMap(\.lease?.period).max() ?? 0
                // Whole seconds: the period rounded up (the unlock's read took some of it), the
                // room left rounded down (the lease must not outlive the grant).
                let seconds = min((period + 999) / 1000, (latest > t ? latest - t : 0) / 1000)
                guard seconds > 0 else {
                    for slug in slugs { s.grants[slug]?.lease?.next = nil }
                    continue
                }
                // A copy for the renewer: a relock meanwhile wipes (and frees) the grant's own.
                var secret: GuardedBytes?
                if let held = entries.lazy.compactMap(\.secret).first {
                    // Out of guarded memory: no renewal this time; tried again a second later.
                    guard let copy = try? held.withBytes({ try GuardedBytes(copying: $0) }) else {
                        for slug in slugs { s.grants[slug]?.lease?.next = t &+ LeaseSchedule.minimumRetryMilliseconds }
                        continue
                    }
                    secret = copy
                }
                for slug in slugs { s.grants[slug]?.lease?.inFlight = true }
                out.append(Renewal(slugs: slugs, note: note, incrementSeconds: seconds, startedMilliseconds: t, secret: secret))
            }
            return out
        }
    }

    /// Takes a renewal's outcome for the grants it was for (those still live with the same note;
    /// a relock or a re-unlock meanwhile leaves nothing to apply it to). Renewed: the lease ends
    /// `seconds` after the renewal began, next renewed at two thirds of that, or never again when
    /// it got less than asked (its maximum) or reaches the grants' end. At its maximum: it keeps
    /// its end and is not renewed again. Failed: it keeps its end
    /// and is retried at two thirds of what is left. Ended: the grants end now, as an expiry.
    /// Returns how long the lease now lasts (ms), nil when no grant of it is live.
    @discardableResult
    public func finish(_ renewal: Renewal, _ outcome: RenewalOutcome) -> UInt64? {
        locked { s in
            let t = now()
            var live: [Slug] = []
            var left: UInt64?
            for slug in renewal.slugs {
                guard var e = s.grants[slug], e.revocation == renewal.note, var lease = e.lease, lease.inFlight else { continue }
                lease.inFlight = false
                switch outcome {
                case .renewed(let seconds):
                    let granted = seconds &* 1000
                    lease.end = renewal.startedMilliseconds &+ granted
                    let atMaximum = seconds < renewal.incrementSeconds
                    lease.next = atMaximum || lease.end >= e.deadline ? nil : renewal.startedMilliseconds &+ LeaseSchedule.twoThirds(of: granted)
                case .atMaximum:
                    lease.next = nil
                case .failed:
                    let remaining = lease.end > t ? lease.end - t : 0
                    let retry = t &+ max(LeaseSchedule.minimumRetryMilliseconds, LeaseSchedule.twoThirds(of: remaining))
                    lease.next = retry < lease.end ? retry : nil
                case .ended:
                    break
                }
                e.lease = lease
                s.grants[slug] = e
                live.append(slug)
                left = lease.end > t ? lease.end - t : 0
            }
            if case .ended = outcome {
                var ended: [Entry] = []
                for slug in live {
                    guard let e = s.grants.removeValue(forKey: slug) else { continue }
                    ended.append(e)
                    s.expired.insert(slug)
                }
                s.endAll(ended)
                s.listed.formUnion(live)
                if !live.isEmpty, let observer = s.expireObserver { observer(live) }
                return nil
            }
            s.purgeExpired(now: now())
            return left
        }
    }

    /// Milliseconds until the next renewal falls due (0: due now), nil when none is scheduled.
    public func nextRenewalMilliseconds() -> UInt64? {
        locked { s in
            let t = now()
            return s.grants.values.compactMap { e in
                guard let lease = e.lease, !lease.inFlight, let next = lease.next else { return nil }
                return next > t ? next - t : 0
            }.min()
        }
    }

    // MARK: reads

    /// Live grants, soonest expiry first. Never values.
    public func status() -> [GrantInfo] {
        locked { s in
            s.purgeExpired(now: now())
            let t = now()
            return s.grants.values.map { e -> GrantInfo in
                var info = e.info
                info.remainingMilliseconds = e.shownEnd &- t
                info.expiresAtWallMilliseconds = Clock.wallMilliseconds() &+ info.remainingMilliseconds
                return info
            }.sorted { $0.remainingMilliseconds != $1.remainingMilliseconds ? $0.remainingMilliseconds < $1.remainingMilliseconds : $0.slug < $1.slug }
        }
    }

    /// The slugs listed and those of the live grants, each once.
    public var catalogCount: Int {
        locked { s in
            var count = s.grants.count
            for slug in s.listed.slugs where !s.grants.contains(slug) { count += 1 }
            return count
        }
    }

    /// Resolves one query. `key` is a full slug or a bare key name; `env`/`org` narrow a bare name.
    /// An `ORG.all.KEY` grant answers a request for any env of that org (never the reverse), and a
    /// granted fallback beats a locked exact slug, as the request can be served.
    public func lookup(key: String, env: String? = nil, org: String? = nil) -> GrantLookup {
        locked { s in
            s.purgeExpired(now: now())
            let t = now()
            if let slug = Slug(parsing: key) { return s.resolve(slug, now: t) }

            // A bare name: find which ORG.ENV it can mean among the slugs this daemon knows.
            var known = Set<Slug>()
            for slug in s.listed.slugs where slug.key == key { known.insert(slug) }
            for slug in s.grants.slugs where slug.key == key { known.insert(slug) }
            for slug in s.expired where slug.key == key { known.insert(slug) }
            if let org { known = known.filter { $0.org == org } }
            if let env {
                let orgs = Set(known.filter { $0.env == env || $0.env == "all" }.map(\.org))
                if orgs.count > 1 {
                    return .ambiguous(orgs.sorted().compactMap { Slug(org: $0, env: env, key: key) })
                }
                guard let only = orgs.first ?? org, let slug = Slug(org: only, env: env, key: key) else { return .absent(nil) }
                return s.resolve(slug, now: t)
            }
            let candidates = known.sorted()
            if candidates.count > 1 { return .ambiguous(candidates) }
            guard let only = candidates.first else { return .absent(nil) }
            return s.resolve(only, now: t)
        }
    }

    // MARK: test hooks

    /// The guarded storage behind a live grant, so tests can watch it being wiped.
    func _storage(for slug: Slug) -> GuardedBytes? { locked { $0.grants[slug]?.value } }
}

extension GrantStore.State {
    /// Wipes every grant whose deadline has passed, keeping a tombstone.
    mutating func purgeExpired(now t: UInt64) {
        var gone: [Slug] = []
        var ended: [GrantStore.Entry] = []
        // From the back, each grant read in place (a removal moves the last into the hole,
        // which was looked at): this runs at every read, and binding each grant copied it.
        for place in grants.indices.reversed() where grants[at: place].ends <= t {
            let removed = grants.remove(at: place)
            ended.append(removed.value)
            expired.insert(removed.slug)
            gone.append(removed.slug)
        }
        endAll(ended)
        guard !gone.isEmpty else { return }
        // Sorted once, for the observer and the catalog's merge.
        gone.sort()
        listed.formUnion(sortedUnique: gone)
        expireObserver?(gone)
    }

    /// Grants end (relock, expiry): each value is wiped now, or, when its credential must be
    /// revoked, kept guarded until `takeRevocations` hands it to the revoker.
    mutating func endAll(_ entries: [GrantStore.Entry]) {
        var ending = GrantStore.Ending()
        ending.wiped.reserveCapacity(entries.count)
        // By index, each entry read in place: `for entry in entries` copied every one out.
        for i in entries.indices { ending.end(entries[i]) }
        end(ending)
    }

    /// Ends what `ending` gathered: the revocations queued, the values wiped in one batch.
    mutating func end(_ ending: GrantStore.Ending) {
        pending.append(contentsOf: ending.revoked)
        GuardedBytes.wipeAll(ending.wiped)
    }

    func resolve(_ slug: Slug, now t: UInt64) -> GrantLookup {
        let order = [slug] + (slug.allFallback.map { [$0] } ?? [])
        for s in order {
            if let e = grants[s] {
                var info = e.info
                info.remainingMilliseconds = e.shownEnd &- t
                info.expiresAtWallMilliseconds = Clock.wallMilliseconds() &+ info.remainingMilliseconds
                let value = e.value.withBytes { Array($0) }
                return .granted(info, value: value)
            }
        }
        if let s = order.first(where: { expired.contains($0) }) { return .expired(s) }
        // The live grants' slugs are the catalog's too, but none of these is live (above).
        if let s = order.first(where: { listed.contains($0) }) { return .locked(s) }
        return .absent(slug)
    }
}
