import SecretBytes
import KeyrackNames
/// The daemon protocol, version 7 (2 answered UNLOCK with the grants as stored, expiries
/// included; 3 added each grant's optional revocation note; 4 each grant's `sendTo` destinations;
/// 5 each grant's optional renewable lease duration; 6 answers a grant stored as it was sent by
/// its place and its wall-clock expiry, not its slug, vault and destinations again; 7 sends an
/// UNLOCK's catalog as its size and the slugs not among the grants, `UnlockCatalog`). One frame is `u32 body length ‖ body`, and a body is `u8 version ‖ u8 type ‖
/// payload` (fields as in `WireWriter`). A connection carries any number
/// of request/response pairs, strictly alternating; the server answers every frame it can
/// delimit, with an error reply for anything it cannot use, and closes only when it can no longer
/// find the next frame boundary (an oversized length, a truncated frame) or the client idles out.
public enum Protocol {
    public static let version: UInt8 = 7
}

/// An UNLOCK's catalog (every slug of the owner's manifest, names only) as it travels: how many
/// slugs it holds (for the access log) and those of them that are not among the UNLOCK's own
/// grants. The daemon adds the grants' slugs itself, so a re-unlock of a whole manifest sends
/// no slug twice: the catalog was half of an unlock frame, and the daemon's work to take it in.
public struct UnlockCatalog: Equatable, Sendable {
    public var count: Int
    public var beyondGrants: [Slug]

    public init(count: Int, beyondGrants: [Slug]) {
        self.count = count; self.beyondGrants = beyondGrants
    }

    /// The catalog `slugs` for an UNLOCK of `grants`. Both come in slug order from `unlock`, so
    /// one merge finds the grants' slugs among them; out of order, a slug is at worst sent
    /// although a grant has it (never left out: only a slug equal to a grant's is skipped).
    public init(_ slugs: [Slug], besides grants: [GrantRequest]) {
        var beyond: [Slug] = []
        var j = 0
        // The grants read in place (taken out of the array, each slug was copied); a slug equal
        // to the next grant's, the usual case, is settled by `==` alone (parts shared with the
        // manifest's own compare by identity), without an order comparison.
        grants.withUnsafeBufferPointer { grants in
            for slug in slugs {
                if j < grants.count && grants[j].slug == slug { j += 1; continue }
                while j < grants.count && grants[j].slug < slug { j += 1 }
                if j < grants.count && grants[j].slug == slug { j += 1 } else { beyond.append(slug) }
            }
        }
        self.init(count: slugs.count, beyondGrants: beyond)
    }
}

/// One GET query: a full slug, or a bare key name narrowed by env and org.
public struct Query: Equatable, Sendable {
    public var key: String
    public var env: String?
    public var org: String?
    public init(key: String, env: String? = nil, org: String? = nil) {
        self.key = key; self.env = env; self.org = org
    }
}

public enum Request {
    case ping
    /// Puts grants; with a catalog, also replaces the list of slugs the owner's manifest holds.
    case unlock([GrantRequest], catalog: UnlockCatalog?)
    case get([Query])
    case status
    case relock(env: String?, key: String?)
    case stop
    /// Identity agent (AgentWire): hold these identities for the TTL; unwrap file keys; report.
    case agentStart([AgentKeyRequest], ttlMilliseconds: UInt64)
    case agentUnwrap(files: [[AgentStanza]], secret: [UInt8]?)
    case agentStatus
    /// `exec --sandbox`, from outside: the sandbox whose pid 1 has this host pid is the owner's.
    /// The daemon reads the namespaces itself; a request from inside any sandbox is refused.
    case registerSandbox(pid: Int32)
    /// `unlock` of an owner whose manifest says `sandboxed`: from now on values go only to peers
    /// inside the owner's registered sandboxes. One way: only a new daemon forgets it.
    case requireSandbox
    /// `unlock`, after UNLOCK: the owner's checkpoint seed from its manifest (32 bytes, wiped
    /// after use) and which recipient opened the manifest, for the access log. The daemon signs
    /// the log's checkpoints with the key while the owner is unlocked. Answered `sandboxAccepted`
    /// (the protocol's plain "accepted").
    case auditKey(seed: [UInt8], recipient: String)
    /// `exec --proxy`, before a request that carries values leaves: record that `substitutions`
    /// values of `keys` (slugs, names only) go to `host:port`. Answered `sandboxAccepted` once
    /// the record is written; refused when the log cannot take it (the proxy then sends nothing).
    case auditProxy(ProxySubstitution)
    /// `set` / `del`, after changing the manifest, while the daemon runs (it holds the log):
    /// record `event` ("set" or "del") for `slug`, with the vault and effect of a set. Answered
    /// `sandboxAccepted` once written.
    case auditChange(event: String, slug: String, vault: String?, effect: String?)
    /// `unlock` of an owner whose manifest names a card slot for the log: the chain head to have
    /// the card sign. Answered `auditHead`.
    case auditHead
    /// Then the card's signature over that head (AuditCrypto.cardCheckpointDigest), recorded as
    /// a `card-checkpoint`. The daemon only appends it (it knows no card); `audit verify` checks
    /// it. Answered `sandboxAccepted` once written.
    case auditCardCheckpoint(CardCheckpoint)

    static let unlockType: UInt8 = 0x02

    var type: UInt8 {
        switch self {
        case .ping: 0x01
        case .unlock: Request.unlockType
        case .get: 0x03
        case .status: 0x04
        case .relock: 0x05
        case .stop: 0x06
        case .agentStart: 0x07
        case .agentUnwrap: 0x08
        case .agentStatus: 0x09
        case .registerSandbox: 0x0A
        case .requireSandbox: 0x0B
        case .auditKey: 0x0C
        case .auditProxy: 0x0D
        case .auditChange: 0x0E
        case .auditHead: 0x0F
        case .auditCardCheckpoint: 0x10
        }
    }
}

/// A card's signature over the log's head (names and public values only).
public struct CardCheckpoint: Equatable, Sendable {
    /// The seq of the record signed and its hash (AuditLog.head).
    public var seq: UInt64
    public var head: String
    /// The card's ECDSA signature (DER) and its P-256 public point (04‖X‖Y).
    public var signature: [UInt8]
    public var publicKey: [UInt8]
    public var slot: String
    public var serial: UInt32
    public init(seq: UInt64, head: String, signature: [UInt8], publicKey: [UInt8], slot: String, serial: UInt32) {
        self.seq = seq; self.head = head; self.signature = signature; self.publicKey = publicKey; self.slot = slot; self.serial = serial
    }
}

/// What a keycard proxy put into one request (names and a count, never a value).
public struct ProxySubstitution: Equatable, Sendable {
    public var host: String
    public var port: UInt16
    public var substitutions: Int
    /// The slugs (or variable names) of the values put in.
    public var keys: [String]
    public init(host: String, port: UInt16, substitutions: Int, keys: [String]) {
        self.host = host; self.port = port; self.substitutions = substitutions; self.keys = keys
    }
}

/// Facts about a running daemon, non-secret.
public struct DaemonStatus: Equatable, Sendable {
    public var pid: Int32
    public var owner: String
    public var allowedUID: UInt32
    public var grants: [GrantInfo]
    public var catalogCount: Int
}

/// Why the daemon refused a frame. The raw values are on the wire.
public enum ErrorCode: UInt8, Sendable {
    case malformed = 1
    case oversized = 2
    case unsupportedVersion = 3
    case unknownType = 4
    case denied = 5
    case timeout = 6
    case busy = 7
    case rejected = 8
    /// The owner's identity agent holds nothing (never started, expired, relocked).
    case agentLocked = 9
    /// An identity could not be used (wrong PIN, card gone); the message says which and why.
    case agentFailed = 10
    /// A sandboxed owner's daemon refused a peer outside its sandboxes (or a registration from
    /// inside one); the message says where the peer runs.
    case sandboxRefused = 11
}

public enum Response {
    case pong(pid: Int32, owner: String)
    case unlocked([GrantInfo])
    case got([GrantLookup])
    case status(DaemonStatus)
    case relocked([Slug])
    case stopping
    case agentStarted(AgentStatus)
    case agentUnwrapped([AgentFileResult])
    /// An identity needs a PIN: ask the user `prompt`, then resend the UNWRAP with it.
    case agentNeedsSecret(prompt: String)
    case agentStatus(AgentStatus?)
    /// The sandbox was recorded (REGISTER_SANDBOX), or the requirement is on (REQUIRE_SANDBOX).
    case sandboxAccepted
    /// AUDIT_HEAD: the log's last seq and its hash.
    case auditHead(seq: UInt64, head: String)
    case error(ErrorCode, String)

    static let errorType: UInt8 = 0xEE
}

// MARK: encoding

extension Request {
    /// An UNLOCK of `grants` with the whole catalog `slugs` (sent as `UnlockCatalog`).
    public static func unlock(_ grants: [GrantRequest], catalog slugs: [Slug]) -> Request {
        .unlock(grants, catalog: UnlockCatalog(slugs, besides: grants))
    }

    /// The frame body (version, type, payload). Zero it after sending when it holds values.
    func encodeBody() -> [UInt8] {
        // Written whole by UnlockEncoding: the same bytes, field for field, in one pass.
        if case .unlock(let grants, let catalog) = self { return UnlockEncoding.bytes(grants, catalog: catalog, framed: false) }
        var w = WireWriter()
        w.u8(Protocol.version)
        w.u8(type)
        switch self {
        case .ping, .status, .stop, .agentStatus, .requireSandbox, .auditHead, .unlock:
            break
        case .auditCardCheckpoint(let c):
            w.u64(c.seq); w.string(c.head); w.data(c.signature); w.data(c.publicKey); w.string(c.slot); w.u32(c.serial)
        case .registerSandbox(let pid):
            w.u32(UInt32(bitPattern: pid))
        case .auditKey(let seed, let recipient):
            w.data(seed); w.string(recipient)
        case .auditChange(let event, let slug, let vault, let effect):
            w.string(event); w.string(slug); w.string(vault ?? ""); w.string(effect ?? "")
        case .auditProxy(let p):
            w.string(p.host); w.u32(UInt32(p.port)); w.u32(UInt32(clamping: p.substitutions))
            w.count(p.keys.count)
            for k in p.keys { w.string(k) }
        case .agentStart(let keys, let ttl):
            w.u64(ttl); w.count(keys.count)
            for k in keys { AgentWire.encode(k, into: &w) }
        case .agentUnwrap(let files, let secret):
            AgentWire.encode(secret: secret, into: &w)
            AgentWire.encode(files: files, into: &w)
        case .get(let queries):
            w.count(queries.count)
            for q in queries { w.string(q.key); w.string(q.env ?? ""); w.string(q.org ?? "") }
        case .relock(let env, let key):
            w.string(env ?? ""); w.string(key ?? "")
        }
        return w.bytes
    }

    /// A grant's destinations: a count, then each `HOST[:PORT]` (at most 64 of 260 bytes).
    static func encode(sendTo: [String], into w: inout WireWriter) {
        w.count(sendTo.count)
        for d in sendTo { w.string(d) }
    }

    static func decodeSendTo(_ r: inout WireReader) throws -> [String] {
        let n = try r.count("grant.sendTo", minimumItemSize: 4)
        if n == 0 { return [] }
        guard n <= 64 else { throw DaemonError.malformed("grant.sendTo: \(n) destinations is over the limit of 64") }
        return try (0..<n).map { _ in try r.string("grant.sendTo.destination", max: 260) }
    }

    /// The slug whose org and env the next grant's slug is read against, and the vault it is
    /// compared with: those of the run of grants it continues (an unlock's grants mostly come
    /// from one org, env and vault). Changed only when a grant starts another run: copied at
    /// every grant (or read from the grant before it), they were copied with all its strings.
    struct GrantRun {
        var slug: Slug?
        var vault: String?
    }

    /// One grant of an UNLOCK, its slug sharing the org and env of `run`'s, its vault that very
    /// string when the same bytes.
    static func decodeGrant(_ r: inout WireReader, run: inout GrantRun) throws -> GrantRequest {
        let slug = try r.slug("unlock.grant.slug", sharingPartsWith: run.slug)
        let vault = try r.string("unlock.grant.vault", max: 256, expecting: run.vault)
        if run.slug?.org != slug.org || run.slug?.env != slug.env { run.slug = slug }
        if run.vault != vault { run.vault = vault }
        let ttl = try r.u64("unlock.grant.ttl")
        let value = try r.data("unlock.grant.value", max: Frame.maximumValueSize)
        var revocation: String?
        var secret: [UInt8]?
        switch try r.u8("unlock.grant.hasRevocation") {
        case 0: break
        case 1: revocation = try r.string("unlock.grant.revocation", max: 1024)
        case 2:
            revocation = try r.string("unlock.grant.revocation", max: 1024)
            secret = try r.data("unlock.grant.revocationSecret", max: 4096)
        case let other: throw DaemonError.malformed("unlock.grant.hasRevocation: \(other) is not 0, 1 or 2")
        }
        let sendTo = try Request.decodeSendTo(&r)
        var lease: UInt64?
        switch try r.u8("unlock.grant.hasLease") {
        case 0: break
        case 1:
            guard revocation != nil else { throw DaemonError.malformed("unlock.grant.lease: a lease comes with the revocation note that names it") }
            lease = try r.u64("unlock.grant.lease")
        case let other: throw DaemonError.malformed("unlock.grant.hasLease: \(other) is neither 0 nor 1")
        }
        return GrantRequest(slug: slug, vault: vault, ttlMilliseconds: ttl, value: value, revocation: revocation,
                            revocationSecret: secret, sendTo: sendTo, leaseMilliseconds: lease)
    }

    /// Parses a frame body. Throws `DaemonError.protocolError` with the code to reply with.
    static func decode(body: [UInt8]) throws -> Request {
        var r = WireReader(body)
        let version = try r.u8("version")
        guard version == Protocol.version else {
            throw DaemonError.protocolError(.unsupportedVersion, "protocol version \(version) is not supported (this daemon speaks \(Protocol.version))")
        }
        let type = try r.u8("type")
        let request: Request
        switch type {
        case 0x01: request = .ping
        case 0x04: request = .status
        case 0x06: request = .stop
        case 0x09: request = .agentStatus
        case 0x0A: request = .registerSandbox(pid: Int32(bitPattern: try r.u32("sandbox.pid")))
        case 0x0B: request = .requireSandbox
        case 0x0C:
            let seed = try r.data("audit.seed", max: 32)
            guard seed.count == 32 else { throw DaemonError.malformed("audit.seed: \(seed.count) bytes, expected 32") }
            request = .auditKey(seed: seed, recipient: try r.string("audit.recipient", max: 256))
        case 0x0F: request = .auditHead
        case 0x10:
            let seq = try r.u64("card.seq")
            let head = try r.string("card.head", max: 64)
            let signature = try r.data("card.signature", max: 80)
            let key = try r.data("card.key", max: 65)
            guard head.count == 64, AuditCrypto.unhex(head) != nil, key.count == 65 else { throw DaemonError.malformed("card checkpoint: the head or the public key has the wrong size") }
            request = .auditCardCheckpoint(CardCheckpoint(seq: seq, head: head, signature: signature, publicKey: key,
                                                          slot: try r.string("card.slot", max: 8), serial: try r.u32("card.serial")))
        case 0x0E:
            let event = try r.string("change.event", max: 16)
            guard event == "set" || event == "del" else { throw DaemonError.malformed("change.event: '\(event.prefix(16))' is neither set nor del") }
            let slug = try r.string("change.slug", max: 1024)
            let vault = try r.string("change.vault", max: 256)
            let effect = try r.string("change.effect", max: 64)
            request = .auditChange(event: event, slug: slug, vault: vault.isEmpty ? nil : vault, effect: effect.isEmpty ? nil : effect)
        case 0x0D:
            let host = try r.string("proxy.host", max: 260)
            let port = try r.u32("proxy.port")
            guard !host.isEmpty, port <= UInt32(UInt16.max) else { throw DaemonError.malformed("proxy.host/port: '\(host.prefix(64))':\(port) is no destination") }
            let substitutions = try r.u32("proxy.substitutions")
            let n = try r.count("proxy.keys", minimumItemSize: 4)
            guard n <= 64 else { throw DaemonError.malformed("proxy.keys: \(n) is over the limit of 64") }
            let keys = try (0..<n).map { _ in try r.string("proxy.key", max: 1024) }
            request = .auditProxy(ProxySubstitution(host: host, port: UInt16(port), substitutions: Int(substitutions), keys: keys))
        case 0x07:
            let ttl = try r.u64("agent.ttl")
            let n = try r.count("agent.keys", minimumItemSize: 16)
            guard n <= 64 else { throw DaemonError.malformed("agent.keys: \(n) is over the limit of 64") }
            var keys: [AgentKeyRequest] = []
            for _ in 0..<n { keys.append(try AgentWire.decodeKey(&r)) }
            request = .agentStart(keys, ttlMilliseconds: ttl)
        case 0x08:
            let secret = try AgentWire.decodeSecret(&r)
            request = .agentUnwrap(files: try AgentWire.decodeFiles(&r), secret: secret)
        case 0x02:
            let hasCatalog = try r.u8("unlock.hasCatalog")
            var catalog: UnlockCatalog? = nil
            if hasCatalog == 1 {
                let size = Int(try r.u32("unlock.catalog.size"))
                let n = try r.count("unlock.catalog", minimumItemSize: 4)
                var list: [Slug] = []
                list.reserveCapacity(n)
                for _ in 0..<n { list.append(try r.slug("unlock.catalog.slug", sharingPartsWith: list.last)) }
                catalog = UnlockCatalog(count: size, beyondGrants: list)
            } else if hasCatalog != 0 {
                throw DaemonError.malformed("unlock.hasCatalog: \(hasCatalog) is neither 0 nor 1")
            }
            let n = try r.count("unlock.grants", minimumItemSize: 20)
            // Each grant made in its place in the array (appended, each was copied and the
            // original destroyed), reading its slug's org and env and its vault against the
            // grant before it, in place (an unlock's grants mostly come from one org, env and vault).
            var run = Request.GrantRun()
            let grants = try [GrantRequest](unsafeUninitializedCapacity: n) { buffer, made in
                guard let base = buffer.baseAddress else { return }
                for i in 0..<n {
                    (base + i).initialize(to: try Request.decodeGrant(&r, run: &run))
                    made += 1
                }
            }
            request = .unlock(grants, catalog: catalog)
        case 0x03:
            let n = try r.count("get.queries", minimumItemSize: 12)
            guard n <= 4096 else { throw DaemonError.malformed("get.queries: \(n) queries is over the limit of 4096") }
            var queries: [Query] = []
            for _ in 0..<n {
                let key = try r.string("get.key", max: 1024)
                let env = try r.string("get.env", max: 128)
                let org = try r.string("get.org", max: 256)
                guard !key.isEmpty else { throw DaemonError.malformed("get.key: empty") }
                queries.append(Query(key: key, env: env.isEmpty ? nil : env, org: org.isEmpty ? nil : org))
            }
            request = .get(queries)
        case 0x05:
            let env = try r.string("relock.env", max: 128)
            let key = try r.string("relock.key", max: 1024)
            request = .relock(env: env.isEmpty ? nil : env, key: key.isEmpty ? nil : key)
        default:
            throw DaemonError.protocolError(.unknownType, "unknown request type 0x\(String(type, radix: 16))")
        }
        try r.end("request")
        return request
    }
}

extension Response {
    func encodeBody() -> [UInt8] {
        var w = WireWriter()
        w.u8(Protocol.version)
        switch self {
        case .pong(let pid, let owner):
            w.u8(0x81); w.u32(UInt32(bitPattern: pid)); w.string(owner)
        case .unlocked(let grants):
            w.u8(0x82); w.count(grants.count); for g in grants { w.u8(Response.storedInFull); Response.encode(g, into: &w) }
        case .got(let results):
            w.u8(0x83); w.count(results.count)
            for result in results {
                switch result {
                case .granted(let info, let value):
                    w.u8(0); Response.encode(info, into: &w); w.data(value)
                case .locked(let s): w.u8(1); w.slug(s)
                case .expired(let s): w.u8(2); w.slug(s)
                case .absent(let s): w.u8(3); w.string(s?.description ?? "")
                case .ambiguous(let list): w.u8(4); w.count(list.count); for s in list { w.slug(s) }
                }
            }
        case .status(let st):
            w.u8(0x84); w.u32(UInt32(bitPattern: st.pid)); w.string(st.owner); w.u32(st.allowedUID)
            w.count(st.catalogCount); w.count(st.grants.count)
            for g in st.grants { Response.encode(g, into: &w) }
        case .relocked(let slugs):
            w.u8(0x85); w.count(slugs.count); for s in slugs { w.slug(s) }
        case .stopping:
            w.u8(0x86)
        case .agentStarted(let st):
            w.u8(0x87); AgentWire.encode(st, into: &w)
        case .agentUnwrapped(let results):
            w.u8(0x88); AgentWire.encode(results: results, into: &w)
        case .agentNeedsSecret(let prompt):
            w.u8(0x89); w.string(prompt)
        case .agentStatus(let st):
            w.u8(0x8A); w.u8(st == nil ? 0 : 1)
            if let st { AgentWire.encode(st, into: &w) }
        case .sandboxAccepted:
            w.u8(0x8B)
        case .auditHead(let seq, let head):
            w.u8(0x8C); w.u64(seq); w.string(head)
        case .error(let code, let message):
            w.u8(Response.errorType); w.u8(code.rawValue); w.string(String(message.prefix(1000)))
        }
        return w.bytes
    }

    /// Each grant of an UNLOCKED reply: in full (slug, vault, remaining, expiry, destinations),
    /// or, for a grant stored as the UNLOCK sent it, the place it was sent at and its expiry.
    static let storedInFull: UInt8 = 0, storedAsSent: UInt8 = 1

    /// The body answering `request`. An UNLOCKED reply names each grant stored as it was sent
    /// (slug, vault, TTL and destinations those of the request at the same place) by that place,
    /// with the one thing the client does not know, its wall-clock expiry: writing 10 000 slugs
    /// back and reading them again was most of the exchange. Anything else: `encodeBody()`.
    func encodeBody(answering request: Request) -> [UInt8] {
        guard case .unlocked(let grants) = self, case .unlock(let sent, _) = request, grants.count == sent.count else { return encodeBody() }
        var w = WireWriter()
        w.u8(Protocol.version); w.u8(0x82); w.count(grants.count)
        // By index, each grant and request read in place: a zip, or each taken out of its array,
        // copied it (and retained its strings) once per grant.
        for i in grants.indices {
            if grants[i].slug == sent[i].slug && grants[i].vault == sent[i].vault
                && grants[i].remainingMilliseconds == sent[i].ttlMilliseconds && grants[i].sendTo == sent[i].sendTo {
                w.u8(Response.storedAsSent); w.u64(grants[i].expiresAtWallMilliseconds)
            } else {
                w.u8(Response.storedInFull); Response.encode(grants[i], into: &w)
            }
        }
        return w.bytes
    }

    /// The UNLOCKED body answering `sent` when every grant was stored as sent (the daemon's
    /// unlock, `GrantStore.put(asSent:)`), expiries counted from `wall`: what
    /// `.unlocked(stored).encodeBody(answering:)` writes for those grants byte for byte, each
    /// grant its form and expiry (9 bytes), with no `GrantInfo` made per grant nor compared
    /// with its request. Sized once and written in place: nothing in it is secret.
    static func unlockedBody(asSent sent: [GrantRequest], wall: UInt64) -> [UInt8] {
        let size = 2 + 4 + 9 * sent.count
        return [UInt8](unsafeUninitializedCapacity: size) { out, initialized in
            func be32(_ v: UInt32, at i: Int) { UnsafeMutableRawPointer(out.baseAddress!).storeBytes(of: v.bigEndian, toByteOffset: i, as: UInt32.self) }
            out[0] = Protocol.version; out[1] = 0x82
            be32(UInt32(sent.count), at: 2)
            var at = 6
            sent.withUnsafeBufferPointer { sent in
                for i in sent.indices {
                    let expiry = wall &+ sent[i].ttlMilliseconds
                    out[at] = Response.storedAsSent
                    be32(UInt32(truncatingIfNeeded: expiry >> 32), at: at + 1)
                    be32(UInt32(truncatingIfNeeded: expiry), at: at + 5)
                    at += 9
                }
            }
            initialized = size
        }
    }

    private static func encode(_ info: GrantInfo, into w: inout WireWriter) {
        w.slug(info.slug); w.string(info.vault); w.u64(info.remainingMilliseconds); w.u64(info.expiresAtWallMilliseconds)
        Request.encode(sendTo: info.sendTo, into: &w)
    }

    /// One grant as stored. `sent`: the grant this one answers, whose slug and vault it reuses
    /// when they are the same bytes (checked, not trusted).
    private static func decodeInfo(_ r: inout WireReader, answeringSlug slug: Slug? = nil, vault: String? = nil) throws -> GrantInfo {
        GrantInfo(slug: try r.slug("grant.slug", expecting: slug), vault: try r.string("grant.vault", max: 256, expecting: vault),
                  remainingMilliseconds: try r.u64("grant.remaining"),
                  expiresAtWallMilliseconds: try r.u64("grant.expiresAt"), sendTo: try Request.decodeSendTo(&r))
    }

    /// Parses a frame body. `unlocking`: the grants of the UNLOCK this answers, which the daemon
    /// answers in the same order (GrantStore.put): an UNLOCKED reply is read against them,
    /// comparing each slug's bytes where it would otherwise parse and check the slug anew.
    static func decode(body: [UInt8], unlocking sent: [GrantRequest] = []) throws -> Response {
        var r = WireReader(body)
        let version = try r.u8("version")
        guard version == Protocol.version else {
            throw DaemonError.malformed("the daemon answered in protocol version \(version), not \(Protocol.version)")
        }
        let type = try r.u8("type")
        let response: Response
        switch type {
        case 0x81:
            response = .pong(pid: Int32(bitPattern: try r.u32("pid")), owner: try r.string("owner"))
        case 0x82:
            let n = try r.count("grants", minimumItemSize: 9)
            var grants: [GrantInfo] = []
            grants.reserveCapacity(n)
            // The requests read in place, only the fields a grant takes: taken out of the array,
            // each request was copied whole (its value and notes retained) and released again.
            try sent.withUnsafeBufferPointer { sent in
                for i in 0..<n {
                    let known = i < sent.count
                    switch try r.u8("grant.form") {
                    case storedInFull:
                        grants.append(try decodeInfo(&r, answeringSlug: known ? sent[i].slug : nil, vault: known ? sent[i].vault : nil))
                    case storedAsSent:
                        guard known else { throw DaemonError.malformed("grant \(i): stored as sent, but no grant was sent at that place") }
                        grants.append(GrantInfo(slug: sent[i].slug, vault: sent[i].vault, remainingMilliseconds: sent[i].ttlMilliseconds,
                                                expiresAtWallMilliseconds: try r.u64("grant.expiresAt"), sendTo: sent[i].sendTo))
                    case let other: throw DaemonError.malformed("grant.form: \(other) is neither 0 nor 1")
                    }
                }
            }
            response = .unlocked(grants)
        case 0x85:
            let n = try r.count("slugs", minimumItemSize: 4)
            var slugs: [Slug] = []
            for _ in 0..<n { slugs.append(try r.slug("slug")) }
            response = .relocked(slugs)
        case 0x83:
            let n = try r.count("results", minimumItemSize: 5)
            var results: [GrantLookup] = []
            for _ in 0..<n {
                switch try r.u8("result.tag") {
                case 0:
                    let info = try decodeInfo(&r)
                    results.append(.granted(info, value: try r.data("value")))
                case 1: results.append(.locked(try r.slug("slug")))
                case 2: results.append(.expired(try r.slug("slug")))
                case 3:
                    let s = try r.string("slug")
                    results.append(.absent(s.isEmpty ? nil : Slug(parsing: s)))
                case 4:
                    let m = try r.count("candidates", minimumItemSize: 4)
                    var list: [Slug] = []
                    for _ in 0..<m { list.append(try r.slug("candidate")) }
                    results.append(.ambiguous(list))
                case let t: throw DaemonError.malformed("result.tag: unknown \(t)")
                }
            }
            response = .got(results)
        case 0x84:
            let pid = Int32(bitPattern: try r.u32("pid"))
            let owner = try r.string("owner")
            let uid = try r.u32("uid")
            let catalogCount = Int(try r.u32("catalogCount"))
            let n = try r.count("grants", minimumItemSize: 24)
            var grants: [GrantInfo] = []
            for _ in 0..<n { grants.append(try decodeInfo(&r)) }
            response = .status(DaemonStatus(pid: pid, owner: owner, allowedUID: uid, grants: grants, catalogCount: catalogCount))
        case 0x86:
            response = .stopping
        case 0x87:
            response = .agentStarted(try AgentWire.decodeStatus(&r))
        case 0x88:
            response = .agentUnwrapped(try AgentWire.decodeResults(&r))
        case 0x89:
            response = .agentNeedsSecret(prompt: try r.string("prompt"))
        case 0x8A:
            response = .agentStatus(try r.u8("agent.present") == 1 ? try AgentWire.decodeStatus(&r) : nil)
        case 0x8B:
            response = .sandboxAccepted
        case 0x8C:
            response = .auditHead(seq: try r.u64("head.seq"), head: try r.string("head.hash", max: 64))
        case Response.errorType:
            let raw = try r.u8("error.code")
            let message = try r.string("error.message")
            response = .error(ErrorCode(rawValue: raw) ?? .rejected, message)
        default:
            throw DaemonError.malformed("response type 0x\(String(type, radix: 16)) is unknown")
        }
        try r.end("response")
        return response
    }
}

extension Response {
    /// Zeroes the values a `.got` reply carries (copied out of guarded memory for encoding), in
    /// place, once the reply is encoded: otherwise they stay in freed heap after relock.
    func wipeValues() {
        if case .agentUnwrapped(let results) = self {
            for case .fileKey(let key) in results { wipeStorage(key) }
        }
        guard case .got(let results) = self else { return }
        for case .granted(_, let value) in results { wipeStorage(value) }
    }
}
