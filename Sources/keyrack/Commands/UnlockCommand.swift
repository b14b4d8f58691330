import AgeFormat
import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import KeyrackOpenBao
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// `keyrack unlock`: opens the owner's manifest once (one card operation for a YubiKey owner,
/// whatever the number of keys), fetches the selected keys from their vaults and hands them to
/// the owner's daemon, starting it if needed. Values never touch disk or stdout.
struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Unlock an owner's keys of one env into its daemon for a while.",
        discussion: """
        TTL: --duration, default 30m for sudo and 9h otherwise, capped by each key's maxDuration. \
        sudo keys are unlocked one --key at a time. When the owner's YubiKey is not plugged in (or \
        with --using ssh|age), a backup recipient whose identity is on this machine opens the \
        manifest; the output names the recipient used. \
        --identity-agent (with or without --env) also hands the owner's identities to its daemon \
        for --duration (default 1h), so age clients decrypt through age-plugin-keyrack with the \
        identity `keyrack identity` prints: the YubiKey's PIN is then asked by the age client, once \
        per card session where pcscd restricts access, once per request where it does not. The agent holds at most 9h (a longer --duration is refused), and at \
        most 30m when --env opened a manifest that holds sudo keys (a longer TTL is cut to 30m, \
        with a note); it never opens the owner's own manifest. See docs/age-agent.md.
        """
    )

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("The env to unlock (sudo, prod, prep, test, all, or custom).", valueName: "env"))
    var env: String?

    @Flag(help: "Also start the owner's identity agent, through which age clients decrypt (see `keyrack identity`).")
    var identityAgent = false

    @Option(help: ArgumentHelp("Unlock only this key: a bare name or a full slug (required for sudo).", valueName: "key"))
    var key: String?

    @Option(help: ArgumentHelp("How long the keys stay unlocked, e.g. 2h, 30m (default 30m for sudo, 9h otherwise).", valueName: "duration"))
    var duration: String?

    @Option(help: ArgumentHelp("Open the manifest with a recipient of this kind only (e.g. when the YubiKey is elsewhere).", valueName: "via"))
    var using: BackupVia?

    @Option(name: .customLong("identity"), help: ArgumentHelp("An identity file (ssh private key or age identity) to open the manifest with.", valueName: "path"))
    var identityPaths: [String] = []

    @Flag(help: "Read the YubiKey PIN from the first line of stdin instead of the terminal (robots with PIN policy once).")
    var pinStdin = false

    @Option(help: ArgumentHelp("Read the YubiKey PIN from the first line of this file, which must be yours and mode 0600.", valueName: "path"))
    var pinFile: String?

    func validate() throws {
        if pinStdin && pinFile != nil { throw ValidationError("give --pin-stdin or --pin-file, not both") }
        if identityAgent, let duration, let seconds = try? KeyrackCore.Duration(duration).seconds {
            let cap = UnlockPlan.identityAgentCapSeconds(manifestHoldsSudoKeys: false)
            if seconds > cap {
                throw ValidationError("--duration \(duration) is longer than the identity agent may live (\(cap / 3600)h, an owner's longest grant): give --duration \(cap / 3600)h or less")
            }
        }
        guard let env else {
            if !identityAgent { throw ValidationError("missing --env: name the env to unlock (or pass --identity-agent to start only the identity agent)") }
            if key != nil { throw ValidationError("--key needs --env") }
            if let duration { try ManifestCLI.check { _ = try KeyrackCore.Duration(duration) } }
            return
        }
        guard NameRules.isValidEnv(env) else { throw ValidationError("invalid --env '\(env.prefix(40))': use sudo, prod, prep, test, all or a lowercase name") }
        if env == "sudo" && key == nil { throw ValidationError("sudo keys are unlocked one at a time: add --key KEY (e.g. keyrack unlock --env sudo --key GITHUB_TOKEN)") }
        if let duration { try ManifestCLI.check { _ = try KeyrackCore.Duration(duration) } }
    }

    func run() throws {
        Hardening.apply()
        let owner = try ManifestCLI.owner(options)
        let store = try ManifestCLI.store()
        let pinnedBySidecar = try store.recipientsFile(owner)?.uid
        if let pinned = pinnedBySidecar, pinned != getuid() {
            throw DaemonError.denied(owner: owner.value, reason: "owner '\(owner.value)' is pinned to uid \(pinned), and this is uid \(getuid()); run the unlock as that user")
        }

        var pin = try pinFile.map(PINSource.fromFile) ?? (pinStdin ? PINSource.fromStdin() : nil)
        defer { if pin != nil { zeroize(&pin!) } }
        let interaction = pin.map(PINSource.interaction(pin:)) ?? ManifestCLI.interaction
        let agent = IdentityAgentUnlock(owner: owner, store: store, pinned: pinnedBySidecar, identityPaths: identityPaths, using: using,
                                        ttlSeconds: try duration.map { try KeyrackCore.Duration($0).seconds } ?? IdentityAgentUnlock.defaultTTLSeconds,
                                        json: options.json)
        guard let env else { return try agent.run() }
        let (manifest, usedLabel) = try openManifest(owner, store: store, interaction: interaction)
        // The sidecar is plaintext and only as good as KEYRACK_HOME; the decrypted manifest is
        // the authority on the pin, and a sidecar that dropped it changes nothing.
        if let pinnedUID = manifest.owner.uid, pinnedUID != getuid() {
            throw DaemonError.denied(owner: owner.value, reason: "owner '\(owner.value)' is pinned to uid \(pinnedUID) by its manifest, and this is uid \(getuid()); run the unlock as that user")
        }
        let pinned = manifest.owner.uid ?? pinnedBySidecar
        var entries = manifest.keys(env: env, key: key)
        if let key, let full = Slug(parsing: key) { entries = entries.filter { $0.slug == full } }
        // Inside a repository, as get/exec/source: only the keys its .agent/keyrack.yml lists
        // (its extends: chain included); --key names one key on purpose and is not filtered.
        if key == nil, let repo = try RepoAllowlist.find(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) {
            let all = entries.count
            entries = entries.filter { repo.allows(org: $0.org.value, env: env, name: $0.slug.key) }
            guard !entries.isEmpty else {
                throw NotGranted(message: "\(repo.path) lists no key of env \(env) among the \(all) '\(owner.value)' has: add the key names to its env.\(env): section, or unlock one with --key KEY")
            }
        }
        guard !entries.isEmpty else {
            let name = key.map { Slug(parsing: $0)?.key ?? $0 } ?? "KEY"
            throw NotGranted(message: "'\(owner.value)' has no key \(key ?? "in env \(env)")\(key == nil ? "" : " in env \(env)"): add it with \(fix: Fix.set(owner: owner.value, env: env, key: name))")
        }
        let direct = entries.contains { $0.vault == .osDirect || $0.vault == .awsParams } ? try store.directValues(owner: owner) : [:]

        let requested = try duration.map { try KeyrackCore.Duration($0).seconds } ?? UnlockPlan.defaultSeconds(env: env)
        // Remote vaults first (one login per server); a failure there ends the unlock unhandled.
        var remote = try OpenBaoFetch.fetch(entries, manifest: manifest, owner: owner, interaction: interaction)
        defer { for key in remote.keys { remote[key]!.wipe() } }
        // Until the daemon holds them, the lease tokens are this process's to revoke.
        var leasesHanded = false
        defer { if !leasesHanded { OpenBaoFetch.revokeLeases(remote) } }
        var plan = try UnlockPlan(entries: entries, requestedSeconds: requested, nowMilliseconds: Clock.wallMilliseconds()) { entry in
            if let fetched = remote[entry.slug] {
                return .init(outcome: .values([KeySource.Value(key: entry.slug.key, value: fetched.value, revocation: fetched.revocation,
                                                               revocationSecret: fetched.revocationSecret)]),
                             leaseSeconds: fetched.ttlSeconds, source: fetched.source)
            }
            return .init(outcome: try KeySource.resolve(entry, manifest: manifest, direct: direct,
                                                               post: { try HTTPSPost.send($0, headers: $1, body: $2) },
                                                               get: { try HTTPSPost.send($0, method: "GET", headers: $1, body: []) }),
                         source: entry.vault.rawValue)
        }
        defer { plan.wipe() }
        var grants = plan.grants.map { GrantRequest(slug: $0.slug, vault: $0.source, ttlMilliseconds: $0.ttlMilliseconds, value: $0.value,
                                                    revocation: $0.revocation, revocationSecret: $0.revocationSecret, sendTo: $0.sendTo) }
        defer {
            for i in grants.indices {
                zeroize(&grants[i].value)
                if grants[i].revocationSecret != nil { zeroize(&grants[i].revocationSecret!) }
            }
        }
        let credentialEnds = Dictionary(plan.grants.compactMap { g in g.credentialEnd.map { (g.slug, $0) } }, uniquingKeysWith: min)
        let (capped, omitted) = (plan.capped, plan.omitted)
        for (slug, cap) in capped { Terminal.printError("note: \(slug) is capped to \(cap)") }
        for (slug, why) in omitted { Terminal.printError("warning: \(slug) stays locked: \(why)") }
        guard !grants.isEmpty else {
            throw NotGranted(message: "no key of '\(owner.value)' could be unlocked (see the warnings above)")
        }

        let client = try DaemonCommandSupport.ensureDaemon(owner: owner.value, pinned: pinned)

        // A minted credential's own expiry caps its grant, counted from now: starting the
        // daemon took time since the plan was made.
        let now = Clock.wallMilliseconds()
        for i in grants.indices {
            if let end = credentialEnds[grants[i].slug] { grants[i].ttlMilliseconds = min(grants[i].ttlMilliseconds, end > now ? end - now : 0) }
        }
        try SandboxRequirement.enforce(on: client, manifest: manifest)
        // The access log's checkpoint key, from the manifest just opened, and which recipient
        // opened it. A daemon of an older keyrack does not know the request: its log then keeps
        // unsigned checkpoints, which `audit verify` reports, so the error is not fatal here.
        if let seed = manifest.auditSeed {
            _ = try? client.send(.auditKey(seed: seed, recipient: usedLabel), peerUIDs: [getuid()])
        }
        let unlocked = try client.connect(peerUIDs: [getuid()]).unlock(grants, catalog: KeySource.catalog(manifest))
        leasesHanded = true
        if options.json {
            JSONLine.print(UnlockJSON(owner: owner.value, recipient: usedLabel, unlocked: unlocked, omitted: omitted.map { ($0.0.description, $0.1) }))
        } else {
            Output.line("unlocked \(unlocked.count) key(s) of '\(owner.value)' with recipient \(usedLabel):")
            for g in unlocked {
                Output.line("  \(g.slug)  expires in \(TextFormat.remaining(milliseconds: g.remainingMilliseconds))")
            }
        }
        if identityAgent {
            var withKeys = agent
            // One TTL for both when --duration is given; else the agent's own default.
            if duration == nil { withKeys.ttlSeconds = IdentityAgentUnlock.defaultTTLSeconds }
            // The manifest is open here: with sudo keys in it, the agent gets a sudo grant's cap.
            let cap = UnlockPlan.identityAgentCapSeconds(manifestHoldsSudoKeys: manifest.keys.values.contains { $0.env.isSudo })
            if withKeys.ttlSeconds > cap {
                withKeys.ttlSeconds = cap
                Terminal.printError("note: the identity agent is capped to \(cap / 60)m: the manifest of '\(owner.value)' holds sudo keys")
            }
            try withKeys.run()
        }
    }

    /// Opens the manifest by ManifestIdentities' rule, so the recipient that opened it is the
    /// one named in the output, and a backup is said on stderr.
    private func openManifest(_ owner: OwnerName, store: HostManifestStore, interaction: Interaction) throws -> (HostManifest, String) {
        let opened = try store.open(owner, with: try ManifestCLI.identities(owner, store: store, paths: identityPaths, only: using?.via,
                                                                                    cardInteraction: interaction))
        if opened.openedBy.isBackup {
            Terminal.printError("opened the manifest of '\(owner.value)' with backup recipient \(opened.openedBy.name)")
        }
        return (opened.manifest, opened.openedBy.name)
    }
}
