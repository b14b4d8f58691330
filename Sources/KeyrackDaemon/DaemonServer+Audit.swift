#if canImport(Glibc)
import Glibc
import KeyrackNames
#endif

/// What the daemon writes to the owner's access log (Audit/AuditLog.swift). Names only: slugs,
/// counts, TTLs, reasons; never a value, a PIN or a file key (the records are built from the
/// request's names and the store's answers, which is why no path here touches `value`).
extension DaemonServer {
    /// The requester of one connection, examined once (the first time a record needs it), then
    /// reused for every record of that connection. The pidfd that proves it is the one the
    /// kernel took at connect (SO_PEERPIDFD), so examining it on the connection's thread rather
    /// than the accept thread loses nothing and keeps accept fast.
    ///
    /// The requester is written once per connection, in a `connect` record; each later record
    /// of the connection names it by that record's seq (`requester_seq`). The reference is
    /// inside the chain, so it is as tamper-evident as the fields themselves, and a GET's
    /// record stays short (hashing and writing ~200 bytes instead of ~700 on the hot path).
    /// `keyrack audit` shows each record with its requester resolved.
    final class ConnectionAudit {
        let fd: Int32
        let cred: PeerCredentials
        private var cached: AuditFields?
        private var examinedPeer: Requester?
        private var connectSeq: UInt64?
        init(fd: Int32, cred: PeerCredentials) { self.fd = fd; self.cred = cred }

        /// The seq of this connection's `connect` record, writing it the first time; nil when
        /// it cannot be written.
        func reference(_ server: DaemonServer, log: AuditLog) -> UInt64? {
            if let connectSeq { return connectSeq }
            connectSeq = log.appendReturningSeq("connect", AuditFields(), requester: requester(server))
            return connectSeq
        }

        /// The peer as examined (once per connection).
        func examined(_ server: DaemonServer) -> Requester {
            if let examinedPeer { return examinedPeer }
            let r = Requester.examine(socket: fd, uid: cred.uid, pid: cred.pid, sandbox: server.sandboxLabel(fd: fd, pid: cred.pid))
            examinedPeer = r
            return r
        }

        func requester(_ server: DaemonServer) -> AuditFields {
            if let cached { return cached }
            let r = examined(server)
            var fields = r.fields
            if r.verified, let command = DaemonServer.keyrackCommand(r) { fields.add("command", command) }
            cached = fields
            return fields
        }
    }

    /// "host", or the namespaces of the owner's sandbox the peer runs in; nil when the owner
    /// has no sandbox (no need to examine namespaces then).
    func sandboxLabel(fd: Int32, pid: pid_t) -> String? {
        guard sandboxes.count > 0 || requiresSandbox else { return nil }
        switch sandboxes.place(socket: fd, pid: pid) {
        case .host: return "host"
        case .ownSandbox: return Namespaces.of(pid: pid).map { "sandbox \($0)" } ?? "sandbox"
        case .elsewhere: return "another namespace"
        case .unknown: return "unknown"
        }
    }

    /// When the peer is keyrack itself, its subcommand (`get`, `exec`, `source`, `inject`…):
    /// argv[1] of a keyrack binary is one of these fixed words and never a secret; anything else
    /// is not recorded.
    static func keyrackCommand(_ r: Requester) -> String? {
        guard let exe = r.exe, let own = ownExecutable else { return nil }
        let dir = { (p: String) in p.lastIndex(of: "/").map { String(p[..<$0]) } ?? "" }
        guard dir(exe) == dir(own) || exe.hasSuffix("/keyrack") || exe.hasSuffix("/keyrack-cli") else { return nil }
        // argv[1] as read with argv[0] (one read of cmdline per connection).
        guard let word = r.secondArgument else { return nil }
        return knownCommands.contains(word) ? word : nil
    }

    /// This daemon's executable, read once (it cannot change while the process runs).
    static let ownExecutable = ProcInfo.link("/proc/self/exe")

    static let knownCommands: Set<String> = ["get", "exec", "source", "inject", "unlock", "relock", "status", "list",
                                             "set", "del", "daemon", "sandbox", "identity", "doctor", "age", "recipient"]

    /// Appends one record; false when the log cannot be written (the caller fails closed).
    @discardableResult
    func audit(_ event: String, _ fields: AuditFields = AuditFields(), connection: ConnectionAudit?) -> Bool {
        guard let log = configuration.audit else { return true }
        let ok: Bool
        if let connection {
            if let seq = connection.reference(self, log: log) {
                var f = fields
                f.add("requester_seq", seq)
                ok = log.append(event, f)
            } else { ok = false }
        } else {
            ok = log.append(event, fields, requester: Requester.daemon.fields)
        }
        if !ok { logAgent("cannot write the access log \(log.path): refusing what it was to record") }
        return ok
    }

    /// The record of one GET: each query's name and what the daemon answered (never the value).
    func auditGet(_ queries: [Query], _ results: [GrantLookup], connection: ConnectionAudit) -> Bool {
        var items: [AuditFields] = []
        items.reserveCapacity(queries.count)
        var granted = 0
        for (q, r) in zip(queries, results) {
            var f = AuditFields()
            f.add("key", q.key)
            f.add("env", q.env)
            f.add("org", q.org)
            switch r {
            case .granted(let info, _): f.add("result", "granted"); f.add("slug", info.slug.description); granted += 1
            case .locked(let s): f.add("result", "locked"); f.add("slug", s.description)
            case .expired(let s): f.add("result", "expired"); f.add("slug", s.description)
            case .absent(let s): f.add("result", "absent"); f.add("slug", s?.description)
            case .ambiguous(let list): f.add("result", "ambiguous"); f.add("candidates", strings: list.map(\.description))
            }
            items.append(f)
        }
        var f = AuditFields()
        f.add("granted", granted)
        f.add("keys", objects: items)
        return audit("get", f, connection: connection)
    }

    /// The unlock record: each grant's slug, vault and TTL, from the requests (every grant is
    /// stored as sent, `GrantStore.put(asSent:)`).
    func auditUnlock(_ grants: [GrantRequest], catalog: Int?, connection: ConnectionAudit) {
        var f = AuditFields()
        f.add("keys", json: DaemonServer.unlockedKeysJSON(grants))
        if let catalog { f.add("catalog", catalog) }
        audit("unlock", f, connection: connection)
    }

    /// `[{"slug":…,"vault":…,"ttl_seconds":…},…]`, the unlock record's keys, written into one
    /// buffer: a record object (and its string) per key was most of the daemon's share of a
    /// 10 000-key unlock, and then appending to a String was (its append checks and grows per
    /// piece; callgrind: 54 M of the daemon's 280 M instructions an unlock). Bytes first, one
    /// String at the end. A slug needs no escaping (NameRules lets no quote, backslash or
    /// control byte in), so its parts go in as they are; the vault is the client's word and
    /// quoted. What follows a slug (vault and TTL) and a slug's `ORG.ENV.` are made once per
    /// run of grants that share them (an unlock's nearly all do), so a key is four copies into
    /// a buffer checked for room once (`ByteWriter`): appending each piece to an array checked
    /// and grew it per piece, 890 instructions a key.
    static func unlockedKeysJSON<Key: UnlockRecordKey>(_ keys: [Key]) -> String {
        var out = ByteWriter(capacity: 2 + keys.count * 72)
        // A slug's `ORG.ENV.`, and `","vault":"…","ttl_seconds":N}` of the last vault and TTL,
        // kept as bytes behind pointers: arrays copied in per key were retained and released.
        var orgEnv = ByteWriter(capacity: 64), tail = ByteWriter(capacity: 64)
        defer { out.free(); orgEnv.free(); tail.free() }
        out.room(1)
        out.put(UInt8(ascii: "["))
        var org: String?, env: String?
        var vault: String?, ttl: UInt64 = 0
        // Each key read in place through the buffer: taken out of the array (or `enumerated()`),
        // each was copied, its strings retained and released.
        keys.withUnsafeBufferPointer { keys in
            for i in keys.indices {
                if keys[i].slug.org != org || keys[i].slug.env != env || org == nil {
                    org = keys[i].slug.org; env = keys[i].slug.env
                    orgEnv.reset()
                    orgEnv.put(Array("\(keys[i].slug.org).\(keys[i].slug.env).".utf8))
                }
                let seconds = keys[i].recordedTTLMilliseconds / 1000
                if keys[i].vault != vault || seconds != ttl || vault == nil {
                    vault = keys[i].vault; ttl = seconds
                    var bytes = Array("\",\"vault\":".utf8)
                    AuditFields.appendQuoted(keys[i].vault, to: &bytes)
                    bytes += Array(",\"ttl_seconds\":".utf8)
                    AuditLog.appendDecimal(seconds, to: &bytes)
                    bytes.append(UInt8(ascii: "}"))
                    tail.reset()
                    tail.put(bytes)
                }
                let opening: StaticString = i == 0 ? "{\"slug\":\"" : ",{\"slug\":\""
                let key = keys[i].slug.key.utf8
                out.room(opening.utf8CodeUnitCount + orgEnv.count + key.count + tail.count)
                out.put(UnsafeBufferPointer(start: opening.utf8Start, count: opening.utf8CodeUnitCount))
                out.put(orgEnv)
                if key.withContiguousStorageIfAvailable({ out.put($0) }) == nil { out.put(Array(key)) }
                out.put(tail)
            }
        }
        out.room(1)
        out.put(UInt8(ascii: "]"))
        return out.string()
    }

    func auditRelock(env: String?, key: String?, gone: [Slug], connection: ConnectionAudit) {
        var f = AuditFields()
        f.add("env", env)
        f.add("key", key)
        f.add("slugs", strings: gone.map(\.description))
        audit("relock", f, connection: connection)
        // Signed while the daemon still holds the key. It keeps the key past a relock, to its
        // stop (idle exit included), so the stop checkpoint is signed too: the key signs log
        // heads only, and the process holding it is not dumpable.
        configuration.audit?.checkpoint(reason: "relock")
    }

    /// One request a keycard proxy (`exec --proxy`) is about to send with values in it: where
    /// to, how many, of which keys. Written before the request leaves (the proxy waits for the
    /// answer), so a value on the wire always has its record; the requester is the `keyrack exec`
    /// process that runs the proxy, and its parent, the program that started the run.
    func auditProxy(_ s: ProxySubstitution, connection: ConnectionAudit) -> Bool {
        var f = AuditFields()
        f.add("host", s.host)
        f.add("port", Int(s.port))
        f.add("substitutions", s.substitutions)
        f.add("keys", strings: s.keys)
        return audit("proxy-substitution", f, connection: connection)
    }

    func auditDenied(_ why: String, connection: ConnectionAudit?, suppressed: Int) {
        var f = AuditFields()
        f.add("reason", why)
        if suppressed > 0 { f.add("suppressed_since_last", suppressed) }
        audit("denied", f, connection: connection)
    }
}

/// What the unlock record lists of a grant: its slug, its vault and its TTL (a request's, or
/// the remaining time of a grant as stored).
protocol UnlockRecordKey {
    var slug: Slug { get }
    var vault: String { get }
    var recordedTTLMilliseconds: UInt64 { get }
}

extension GrantRequest: UnlockRecordKey {
    var recordedTTLMilliseconds: UInt64 { ttlMilliseconds }
}

extension GrantInfo: UnlockRecordKey {
    var recordedTTLMilliseconds: UInt64 { remainingMilliseconds }
}

/// Bytes written through a pointer into room made ahead: the caller asks for the room a whole
/// item needs (`room`), then copies its pieces in unchecked. Names only (the unlock record),
/// so it is freed without wiping.
struct ByteWriter {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    /// Makes room for `n` more bytes (doubling, so a long list is copied a few times at most).
    mutating func room(_ n: Int) {
        guard count + n > capacity else { return }
        let grown = max(capacity * 2, count + n)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        moved.update(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = grown
    }

    /// Copies `bytes` in; `room` made space for them.
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// Copies `bytes` in, making room for them.
    mutating func put(_ bytes: [UInt8]) { room(bytes.count); bytes.withUnsafeBufferPointer { put($0) } }

    mutating func put(_ byte: UInt8) { base[count] = byte; count += 1 }

    /// Copies `other`'s bytes in; `room` made space for them.
    mutating func put(_ other: ByteWriter) { put(UnsafeBufferPointer(start: other.base, count: other.count)) }

    /// Empties it, keeping its room (growing it as `put` needs: `room` first).
    mutating func reset() { count = 0 }

    /// The bytes as a String (UTF-8, validated as String does).
    func string() -> String {
        String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    func free() { base.deallocate() }
}
