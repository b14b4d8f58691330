#if canImport(Glibc)
import Glibc
#endif
import Locking

/// One stanza of an age header as the daemon carries it: opaque strings and bytes. The daemon
/// never interprets stanzas; the identities the CLI registers do.
public struct AgentStanza: Equatable, Sendable {
    public var type: String
    public var arguments: [String]
    public var body: [UInt8]
    public init(type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }
}

/// What the agent made of one file's stanzas.
public enum AgentFileResult: Equatable, Sendable {
    /// The 16-byte file key.
    case fileKey([UInt8])
    /// No stanza of this file is for any of the owner's identities.
    case notMine
    /// A stanza meant for one of the identities is malformed or does not open: the file is bad.
    case invalid(stanza: Int, message: String)
}

/// Why an identity could not work on a request as a whole.
public enum AgentIdentityError: Error, Equatable {
    /// The identity needs a PIN (or passphrase) it was not given; `prompt` is what to ask.
    case needSecret(prompt: String)
    /// The identity cannot be used now (wrong PIN, no card, touch timeout): one line for the user.
    case failed(String)
}

/// The secret half of a registered identity, in guarded memory, readable only inside `withBytes`.
public final class AgentSecret {
    private let guarded: GuardedBytes
    init(_ guarded: GuardedBytes) { self.guarded = guarded }
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try guarded.withBytes(body) }
    func wipe() { guarded.wipe() }
}

/// An identity the agent unwraps with: a card-backed key or a software key, provided by the CLI
/// when the daemon starts (`AgentIdentityFactory`), so the daemon knows neither PIV nor age.
/// Calls are serialised by the agent: an implementation may hold a card session between them.
public protocol AgentIdentity: AnyObject {
    /// For each file (its stanzas), the file key, `.notMine`, or `.invalid`. `secret` is the PIN
    /// the user typed for an earlier `.needSecret`, if any.
    func unwrap(files: [[AgentStanza]], secret: [UInt8]?) throws -> [AgentFileResult]
    /// Releases whatever the identity holds (a card session). Called at relock and expiry.
    func close()
    /// Who asks, set for the length of one `unwrap` (nil after it): a card that waits for a
    /// touch names the asker in its prompt. Identities that never wait ignore it.
    func setAsker(_ asker: AgentAsker?)
}

extension AgentIdentity {
    public func setAsker(_ asker: AgentAsker?) {}
}

/// Who asked the identity agent for file keys, as the kernel knows the connection's peer (the
/// age plugin) and its parent (the age client the user ran: age, sops, rage…), for the touch
/// prompt of a card: the daemon has no terminal, and "touch your YubiKey" alone does not say
/// what the touch is for.
public struct AgentAsker: Equatable, Sendable {
    public var owner: String
    public var pid: Int32
    public var exe: String?
    public var parentPID: Int32?
    public var parentExe: String?
    public var files: Int

    public init(owner: String, pid: Int32, exe: String?, parentPID: Int32?, parentExe: String?, files: Int) {
        self.owner = owner; self.pid = pid; self.exe = exe; self.parentPID = parentPID; self.parentExe = parentExe; self.files = files
    }

    /// "requested by /usr/bin/age (pid 12) via /usr/local/bin/age-plugin-keyrack (pid 13) for
    /// the identity agent of 'human', 1 file" (the same words as unlock's prompts, Asker).
    public var phrase: String {
        let peer = "\(exe ?? "an unknown program") (pid \(pid))"
        let who = parentPID.map { "\(parentExe ?? "an unknown program") (pid \($0)) via \(peer)" } ?? peer
        return "requested by \(who) for the identity agent of '\(owner)', \(files) file\(files == 1 ? "" : "s")"
    }
}

/// One identity as `unlock --identity-agent` registers it. `kind` and `descriptor` are public
/// (`yubikey` + serial/slot/recipient, `age` + recipient, `ssh` + key line); `secret` is the key
/// material of a software identity, empty for a card.
public struct AgentKeyRequest {
    public var kind: String
    public var label: String
    public var descriptor: String
    public var secret: [UInt8]
    public init(kind: String, label: String, descriptor: String, secret: [UInt8]) {
        self.kind = kind
        self.label = label
        self.descriptor = descriptor
        self.secret = secret
    }
}

/// Files the agent must not open whoever asks, consulted before any identity sees a file: the
/// owner's own manifest (the CLI knows where it is and wrote its header; the daemon knows
/// neither). Implementations may be called from several threads.
public protocol AgentRefusals: AnyObject {
    /// Called when the agent starts (a fresh unlock): record what is to be refused now.
    func record()
    /// The index of the stanza that marks `file` as refused and a one-line reason, or nil.
    func refusal(of file: [AgentStanza]) -> (stanza: Int, reason: String)?
}

/// Builds the identity for a registered key. Throws a one-line reason for a key it cannot use.
public typealias AgentIdentityFactory = (_ kind: String, _ descriptor: String, _ secret: AgentSecret) throws -> AgentIdentity

/// What STATUS says about the agent: never a secret.
public struct AgentStatus: Equatable, Sendable {
    public var labels: [String]
    public var remainingMilliseconds: UInt64
    public var expiresAtWallMilliseconds: UInt64
    public var unwrapped: UInt64
    public init(labels: [String], remainingMilliseconds: UInt64, expiresAtWallMilliseconds: UInt64, unwrapped: UInt64) {
        self.labels = labels
        self.remainingMilliseconds = remainingMilliseconds
        self.expiresAtWallMilliseconds = expiresAtWallMilliseconds
        self.unwrapped = unwrapped
    }
}

/// The daemon's identity agent: the owner's identities with one absolute expiry, like a grant.
/// Expiry is checked on every request and by the sweep; relock, expiry and shutdown wipe the
/// secrets and close card sessions at once.
/// `@unchecked`: the factory, refusals and clock it is handed come from Swift 5 mode code
/// (keyrack-cli) whose closures and classes are not checked Sendable; its own state is in `Locked`.
public final class IdentityAgent: @unchecked Sendable {
    private struct Entry {
        var label: String
        var identity: AgentIdentity
        var secret: AgentSecret
    }
    private struct State {
        var entries: [Entry] = []
        var deadline: UInt64 = 0
        var wallExpiry: UInt64 = 0
        var unwrapped: UInt64 = 0
    }
    private let state = Locked(State())
    /// Held for a whole unwrap, so a card session sees one request at a time; never while
    /// `state` is taken for long.
    private let work = Locked(())
    private let factory: AgentIdentityFactory?
    private let refusals: AgentRefusals?
    private let now: () -> UInt64

    public init(factory: AgentIdentityFactory?, refusals: AgentRefusals? = nil, now: @escaping () -> UInt64 = Clock.bootMilliseconds) {
        self.factory = factory
        self.refusals = refusals
        self.now = now
    }

    /// Replaces the identities (a re-unlock starts a fresh TTL). Every key is built before any
    /// is kept, so a bad key leaves the agent as it was.
    public func start(_ keys: [AgentKeyRequest], ttlMilliseconds: UInt64) throws -> AgentStatus {
        guard let factory else { throw DaemonError.protocolError(.rejected, "this daemon was started without identity support") }
        guard !keys.isEmpty else { throw DaemonError.protocolError(.rejected, "no identity to hold") }
        var built: [Entry] = []
        do {
            for key in keys {
                let secret = AgentSecret(try GuardedBytes(copying: key.secret))
                do {
                    built.append(Entry(label: key.label, identity: try factory(key.kind, key.descriptor, secret), secret: secret))
                } catch {
                    secret.wipe()
                    throw DaemonError.protocolError(.rejected, "identity \(key.label): \(error)")
                }
            }
        } catch {
            for e in built { e.identity.close(); e.secret.wipe() }
            throw error
        }
        // Before the TTL starts counting (reading the manifest's header takes a moment).
        refusals?.record()
        let old = state.withLock { s -> [Entry] in
            let old = s.entries
            s.entries = built
            s.deadline = now() &+ ttlMilliseconds
            s.wallExpiry = Clock.wallMilliseconds() &+ ttlMilliseconds
            s.unwrapped = 0
            return old
        }
        work.withLock { _ in for e in old { e.identity.close(); e.secret.wipe() } }
        return status()!
    }

    /// Wipes everything now. Returns whether anything was held.
    @discardableResult
    public func stop() -> Bool {
        let old = state.withLock { s -> [Entry] in
            defer { s.entries = []; s.deadline = 0 }
            return s.entries
        }
        work.withLock { _ in for e in old { e.identity.close(); e.secret.wipe() } }
        return !old.isEmpty
    }

    /// Stops the agent if its TTL has passed; true while it is live.
    @discardableResult
    public func purgeExpired() -> Bool {
        let expired = state.withLock { s in !s.entries.isEmpty && s.deadline <= now() }
        if expired { stop() }
        return state.withLock { !$0.entries.isEmpty }
    }

    public func status() -> AgentStatus? {
        purgeExpired()
        return state.withLock { s in
            guard !s.entries.isEmpty else { return nil }
            // Saturating: an expiry that lands between the purge and this reading shows 0, not 2^64 ms.
            let t = now()
            let left = s.deadline > t ? s.deadline - t : 0
            return AgentStatus(labels: s.entries.map(\.label), remainingMilliseconds: left,
                               expiresAtWallMilliseconds: s.wallExpiry, unwrapped: s.unwrapped)
        }
    }

    /// Unwraps with every identity in order until each file has a key or is known bad.
    /// Throws `.agentLocked` when nothing is held, `needSecret` as soon as an identity needs
    /// a PIN, and the first `failed` when a file stays unopened.
    public func unwrap(files: [[AgentStanza]], secret: [UInt8]?, asker: AgentAsker? = nil) throws -> [AgentFileResult] {
        purgeExpired()
        return try work.withLock { _ in
            let identities = state.withLock { $0.entries.map(\.identity) }
            guard !identities.isEmpty else {
                throw DaemonError.protocolError(.agentLocked, "the identity agent is not unlocked")
            }
            // Under `work`: one request at a time, so each identity sees this request's asker only.
            for identity in identities { identity.setAsker(asker) }
            defer { for identity in identities { identity.setAsker(nil) } }
            var results = [AgentFileResult](repeating: .notMine, count: files.count)
            // A refused file is answered as bad before any identity (or card) sees it.
            for i in files.indices {
                if let (stanza, reason) = refusals?.refusal(of: files[i]) { results[i] = .invalid(stanza: stanza, message: reason) }
            }
            // An identity that cannot be used now (card away) leaves the files to the next one
            // (a backup); its reason is reported only if some file stays unopened.
            var failure: AgentIdentityError?
            for identity in identities {
                let pending = results.indices.filter { results[$0] == .notMine }
                guard !pending.isEmpty else { break }
                let answers: [AgentFileResult]
                do {
                    answers = try identity.unwrap(files: pending.map { files[$0] }, secret: secret)
                } catch let error as AgentIdentityError {
                    if case .needSecret = error { throw error }
                    if failure == nil { failure = error }
                    continue
                }
                guard answers.count == pending.count else { throw AgentIdentityError.failed("an identity answered \(answers.count) of \(pending.count) files") }
                for (i, answer) in zip(pending, answers) where answer != .notMine { results[i] = answer }
            }
            if let failure, results.contains(.notMine) { throw failure }
            let opened = UInt64(results.filter { if case .fileKey = $0 { return true } else { return false } }.count)
            state.withLock { $0.unwrapped &+= opened }
            return results
        }
    }
}
