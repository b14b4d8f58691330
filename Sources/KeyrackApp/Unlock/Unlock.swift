import Foundation
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import KeyrackOpenBao
import KeyrackYAML
import SecretBytes
import KeyrackNames

/// `keyrack unlock`: opens the owner's manifest once (one card operation for a YubiKey owner,
/// whatever the number of keys), fetches the selected keys from their vaults and hands them to
/// the owner's daemon, starting it if needed; with `identityAgent`, also starts the agent.
/// Values never touch disk or stdout. Side effects go through the terminal, the daemon and the
/// clock given here, so tests run it in-process with fakes.
public struct Unlock {
    public var store: HostManifestStore
    public var terminal: any UserTerminal
    public var daemon: any OwnerDaemonPort
    public var clock: any WallClock
    /// Said as it happens (see UnlockEvent).
    public var events: (UnlockEvent) -> Void
    /// The OpenBao keys' reads (one login per server); OpenBaoFetch's by default.
    public var fetchRemote: (_ entries: [KeyEntry], _ manifest: HostManifest, _ owner: OwnerName, _ interaction: Interaction) throws -> [Slug: OpenBaoFetch.Fetched]
    /// What the local vaults' reads see (AWS_*, GITHUB_API_URL, PATH for the AWS CLI): the
    /// process's environment, or a test's. Nil: the process's, read only when a vault asks (an
    /// os.secure unlock never does, and the dictionary costs a tenth of a small unlock's start).
    public var environment: [String: String]?
    /// What becomes of the opened manifest, the plan and the requests once the unlock is done,
    /// their values wiped: freed before `run` returns, unless the caller is a process that exits
    /// right after (UnlockLeftovers).
    public var leftovers: UnlockLeftovers = .freed

    public init(store: HostManifestStore, terminal: any UserTerminal = LiveTerminal(), daemon: any OwnerDaemonPort = LiveDaemonPort(),
                clock: any WallClock = LiveClock(), events: @escaping (UnlockEvent) -> Void = { _ in },
                fetchRemote: @escaping (_ entries: [KeyEntry], _ manifest: HostManifest, _ owner: OwnerName, _ interaction: Interaction) throws
                    -> [Slug: OpenBaoFetch.Fetched] = { try OpenBaoFetch.fetch($0, manifest: $1, owner: $2, interaction: $3) }) {
        self.store = store
        self.terminal = terminal
        self.daemon = daemon
        self.clock = clock
        self.events = events
        self.fetchRemote = fetchRemote
    }

    public func run(_ request: UnlockRequest) throws -> UnlockResult {
        let owner = request.owner
        let pinnedBySidecar = try store.recipientsFile(owner)?.uid
        try DaemonStart.refuseOtherUID(owner: owner.value, pinnedUID: pinnedBySidecar, action: "unlock", uid: request.uid)

        // Read now, so a refused --pin-file ends the unlock before any card or server is asked.
        var pin = try PINSource.read(request.pin)
        defer { if pin != nil { zeroize(&pin!) } }
        let given = pin
        let asking: any UserTerminal = given.map { pin in PINAnsweringTerminal(base: terminal) { pin } } ?? terminal
        var agent = IdentityAgentStart(owner: owner, store: store, pinned: pinnedBySidecar, identityPaths: request.identityPaths, using: request.using,
                                       ttlSeconds: request.durationSeconds ?? IdentityAgentStart.defaultTTLSeconds,
                                       terminal: terminal, daemon: daemon, started: { events(.daemonStarted(owner: owner.value, pid: $0)) })
        guard let env = request.env else {
            return UnlockResult(owner: owner.value, recipient: nil, unlocked: [], omitted: [], agent: try agent.run())
        }

        // A running daemon is reached now: it examines this process while the manifest opens.
        daemon.prepare(owner: owner.value)
        let opened = try store.open(owner, with: try OwnerIdentities.resolve(owner, store: store, paths: request.identityPaths, only: request.using,
                                                                             interaction: asking.interaction))
        let (manifest, usedLabel) = (opened.manifest, opened.openedBy.name)
        if opened.openedBy.isBackup { events(.openedWithBackup(owner: owner.value, recipient: usedLabel)) }
        // The sidecar is plaintext and only as good as KEYRACK_HOME; the decrypted manifest is
        // the authority on the pin, and a sidecar that dropped it changes nothing.
        try DaemonStart.refuseOtherUID(owner: owner.value, pinnedUID: manifest.owner.uid, by: " by its manifest", action: "unlock", uid: request.uid)
        let pinned = manifest.owner.uid ?? pinnedBySidecar
        let entries = try select(manifest, owner: owner, env: env, key: request.key, workingDirectory: request.workingDirectory)
        let direct = entries.containsVault(.osDirect, .awsParams) ? try store.directValues(owner: owner) : [:]

        let requested = request.durationSeconds ?? UnlockPlan.defaultSeconds(env: env)
        // Remote vaults first (one login per server); a failure there ends the unlock unhandled.
        var remote = try fetchRemote(entries, manifest, owner, asking.interaction)
        defer { for key in remote.keys { remote[key]!.wipe() } }
        // Until the daemon holds them, the lease tokens are this process's to revoke.
        var leasesHanded = false
        defer { if !leasesHanded { OpenBaoFetch.revokeLeases(remote) } }
        // The process's environment, read once, when a vault first asks for it.
        var environmentRead = environment
        func vaultEnvironment() -> [String: String] {
            if environmentRead == nil { environmentRead = ProcessInfo.processInfo.environment }
            return environmentRead!
        }
        let plan = try UnlockPlan(entries: entries, requestedSeconds: requested, nowMilliseconds: clock.nowMilliseconds()) { entry in
            if let fetched = remote[entry.slug] {
                return .init(outcome: .values([KeySource.Value(key: entry.slug.key, value: fetched.value, revocation: fetched.revocation,
                                                               revocationSecret: fetched.revocationSecret)]),
                             leaseSeconds: fetched.ttlSeconds, source: fetched.source)
            }
            return .init(resolved: try KeySource.resolved(entry, manifest: manifest, direct: direct,
                                                        environment: vaultEnvironment(),
                                                        post: { try HTTPSPost.send($0, headers: $1, body: $2) },
                                                        get: { try HTTPSPost.send($0, method: "GET", headers: $1, body: []) }),
                         source: entry.vault.rawValue)
        }
        // In place: the requests share their values' storage with the plan (and the manifest),
        // so this one wipe zeroes theirs too; then the manifest's keys not unlocked (another env,
        // not in the repository's list). Only then is the working set given up.
        defer {
            plan.wipe()
            manifest.wipeSecrets()
            if leftovers == .keptUntilExit { KeptUntilExit.keep((opened, entries, plan)) }
        }
        var grants = GrantRequest.requests(of: plan)
        // Run before the wipe above (defers run last first): kept, the requests are not freed, and
        // their values are the plan's storage, which the wipe zeroes.
        defer { if leftovers == .keptUntilExit { KeptUntilExit.keep(grants) } }
        // Only a minted credential has an end: an unlock of stored keys makes no dictionary.
        let credentialEnds = plan.mintsCredentials ? Dictionary(plan.grants.compactMap { g in g.credentialEnd.map { (g.slug, $0) } }, uniquingKeysWith: min) : [:]
        for (slug, cap) in plan.capped { events(.capped(slug, to: cap)) }
        for (slug, why) in plan.omitted { events(.stayedLocked(slug, why: why)) }
        guard !grants.isEmpty else {
            throw NotGranted(message: "no key of '\(owner.value)' could be unlocked (see the warnings above)")
        }

        if let pid = try daemon.start(owner: owner.value, pinnedUID: pinned) { events(.daemonStarted(owner: owner.value, pid: pid)) }
        // A minted credential's own expiry caps its grant, counted from now: starting the
        // daemon took time since the plan was made.
        let now = clock.nowMilliseconds()
        // Nothing to cut for stored keys without a lease (nearly every unlock): no pass at all.
        if !credentialEnds.isEmpty || !remote.isEmpty {
            for i in grants.indices {
                if let end = credentialEnds[grants[i].slug] { grants[i].ttlMilliseconds = min(grants[i].ttlMilliseconds, end > now ? end - now : 0) }
                // A renewable lease is not a cap: the daemon renews it (counted from now, as above).
                if let end = remote[grants[i].slug]?.leaseEndsAtMilliseconds { grants[i].leaseMilliseconds = end > now ? end - now : 0 }
            }
        }
        try SandboxRequirement.enforce(required: manifest.owner.sandboxed) { try daemon.send(owner: owner.value, $0) }
        // The access log's checkpoint key, from the manifest just opened, and which recipient
        // opened it. A daemon of an older keyrack does not know the request: its log then keeps
        // unsigned checkpoints, which `audit verify` reports, so the error is not fatal here.
        if let seed = manifest.auditSeed {
            _ = try? daemon.send(owner: owner.value, .auditKey(seed: seed, recipient: usedLabel))
        }
        let unlocked = try daemon.unlock(owner: owner.value, grants, catalog: KeySource.catalog(manifest))
        leasesHanded = true
        // A YubiKey owner's card signs the access log's head (docs/audit.md); never fatal.
        if let card = manifest.auditCard {
            events(.cardCheckpoint(AuditCardCheckpoint.run(owner: owner.value, card: card, daemon: daemon, interaction: asking.interaction)))
        }
        var result = UnlockResult(owner: owner.value, recipient: usedLabel, unlocked: unlocked, omitted: plan.omitted.map { ($0.0, $0.1) }, agent: nil)
        if request.identityAgent {
            // One TTL for both when a duration is given; else the agent's own default.
            if request.durationSeconds == nil { agent.ttlSeconds = IdentityAgentStart.defaultTTLSeconds }
            // The manifest is open here: with sudo keys in it, the agent gets a sudo grant's cap.
            let cap = UnlockPlan.identityAgentCapSeconds(manifestHoldsSudoKeys: manifest.keys.values.contains { $0.env.isSudo })
            if agent.ttlSeconds > cap {
                agent.ttlSeconds = cap
                events(.agentCapped(owner: owner.value, minutes: cap / 60))
            }
            result.agent = try agent.run()
        }
        return result
    }

    /// The entries of `env` (or the one `key`), narrowed inside a repository to the keys its
    /// `.agent/keyrack.yml` lists (its extends: chain included), as get/exec/source narrow them;
    /// `key` names one key on purpose and is not filtered. Nothing selected is an error.
    func select(_ manifest: HostManifest, owner: OwnerName, env: String, key: String?, workingDirectory: URL) throws -> [KeyEntry] {
        var entries = manifest.keys(env: env, key: key)
        if let key, let full = Slug(parsing: key) { entries = entries.filter { $0.slug == full } }
        if key == nil, let repo = try RepoAllowlist.find(from: workingDirectory) {
            let all = entries.count
            entries = entries.filter { repo.allows(org: $0.org.value, env: env, name: $0.slug.key) }
            guard !entries.isEmpty else {
                throw NothingToUnlock("\(repo.path) lists no key of env \(env) among the \(all) '\(owner.value)' has", remedy: .listInRepositoryOrNameOne(env: env))
            }
        }
        guard !entries.isEmpty else {
            let name = key.map { Slug(parsing: $0)?.key ?? $0 } ?? "KEY"
            throw NothingToUnlock("'\(owner.value)' has no key \(key ?? "in env \(env)")\(key == nil ? "" : " in env \(env)")", remedy: .setIt(owner: owner.value, env: env, key: name))
        }
        return entries
    }
}
