import KeyrackClient
import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes
import KeyrackNames

/// What the manifest commands tell an owner's running daemon, so it never serves a value the
/// manifest no longer holds (`set` of a new value, `del`, `recipient remove` relock before they
/// return) and so an os.daemon value goes to the daemon and nowhere else.
public enum LiveDaemon {
    /// Relocks `slug` (every grant when nil) in the owner's daemon, if one runs, and says so on
    /// stderr. A daemon that is not provably the caller's own is not talked to: that is said too.
    public static func revoke(owner: OwnerName, slug: Slug?, why: String) {
        let client = DaemonClient(owner: owner.value)
        do {
            guard case .relocked(let gone) = try client.send(.relock(env: nil, key: slug?.description)) else { return }
            for s in gone { Terminal.printError("relocked \(s) in the daemon of '\(owner.value)': \(why)") }
        } catch DaemonError.noDaemon {
            return
        } catch let error as CLIReportable {
            Terminal.printError("warning: could not relock the daemon of '\(owner.value)' (\(error.cliMessage.dropFirst("error: ".count))); run `\(Fix.relock(owner: owner.value))`")
        } catch {
            Terminal.printError("warning: could not relock the daemon of '\(owner.value)' (\(error)); run `\(Fix.relock(owner: owner.value))`")
        }
    }

    /// Hands an os.daemon value straight to the owner's daemon (started if need be, as `unlock`
    /// starts it): it exists in that process's guarded memory only, until its TTL or the daemon
    /// ends. Returns the slug granted.
    public static func hold(owner: OwnerName, entry: KeyEntry, pinnedUID: UInt32?, sandboxed: Bool, value: inout [UInt8]) throws -> Slug {
        defer { zeroize(&value) }
        try DaemonStart.refuseOtherUID(owner: owner.value, pinnedUID: pinnedUID, action: "set")
        let client = try DaemonStart.ensure(owner: owner.value, pinnedUID: pinnedUID) { Terminal.printError(DaemonStart.startedLine(owner: owner.value, pid: $0)) }
        let defaultTTL = UnlockPlan.defaultSeconds(env: entry.env.value)
        let ttl = min(defaultTTL, entry.maxDuration?.seconds ?? defaultTTL)
        // A sandboxed owner's daemon is told before it holds the value (SandboxRequirement).
        try SandboxRequirement.enforce(on: client, required: sandboxed)
        var grant = GrantRequest(slug: entry.slug, vault: entry.vault.rawValue, ttlMilliseconds: UInt64(ttl) * 1000, value: value,
                                 sendTo: entry.sendTo.map(\.description))
        defer { zeroize(&grant.value) }
        guard case .unlocked = try client.send(.unlock([grant], catalog: nil), peerUIDs: [getuid()]) else {
            throw DaemonError.malformed("the daemon answered UNLOCK with something else")
        }
        return entry.slug
    }
}
