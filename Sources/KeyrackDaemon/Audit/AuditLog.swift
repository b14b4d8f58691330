#if canImport(Glibc)
import Glibc
#endif
import CSodium
import SecretBytes

/// One owner's tamper-evident access log: `$KEYRACK_HOME/audit/<owner>.jsonl`, one JSON object
/// per line, each carrying `prev`, the SHA-256 of the previous line's exact bytes (the first
/// line, `genesis`, has 64 zeros), and `seq`, its line number from 0. Every `checkpointEvery`
/// records and at relock and stop a `checkpoint` record signs the chain head with the owner's
/// checkpoint key when the daemon holds one (see `setCheckpointKey`), and the same line is
/// copied to `<owner>.head`, the anchor `audit verify` holds the log to: a log cut short
/// before its last checkpoint no longer contains the anchor's line.
///
/// Durability: each record is one write(2) on an O_APPEND descriptor, so once `append` returns
/// the record is in the kernel's page cache and a SIGKILL of the daemon cannot lose it; only a
/// record whose write was under way can be cut, and the next opener trims that partial line
/// (and says so in a `recovered` record). Checkpoints are fsynced (a power loss may lose the
/// records after the last checkpoint, which is what the anchor's guarantee covers anyway).
///
/// Writers: the daemon, and the CLI for `set`/`del`. One writer at a time holds the file's flock.
/// The daemon takes it at open and keeps it while it runs (`holdsFileLock`), so each of its
/// records is one write(2) with no flock or fstat around it; while it runs, the CLI hands it
/// its records over the socket (AUDIT_CHANGE). A writer without the lock held (the CLI when no
/// daemon runs, tests) takes it around each append and re-reads the tail when the file grew
/// behind its back, so the chain stays one chain.
/// `@unchecked`: its mutable state (descriptor, chain head, line and digest buffers reused per
/// record) is reached only under its pthread mutex, which the compiler cannot see. Kept by hand,
/// not in `Locked`: it is an adaptive mutex on purpose (see `init`: waiters spin before they
/// sleep, the daemon's choice for 64 concurrent clients), which `Locked` does not offer.
public final class AuditLog: @unchecked Sendable {
    public let owner: String
    public let path: String
    public let headPath: String
    public let checkpointEvery: UInt64
    /// Size cap of the current file: past it, after the next record, the file is archived as
    /// `<owner>.<last seq>.jsonl` and a new one starts whose genesis continues the chain.
    public let maximumBytes: Int64
    /// A writer other than the daemon (the CLI) checks before each append that the path still
    /// names its file, and reopens it when the daemon rotated it away.
    private let followsRotation: Bool
    private let directory: String
    /// The daemon's mode: the flock is taken at open and held until the log is closed.
    private let holdsFileLock: Bool
    /// How long to wait for the flock before giving up (nil: as long as it takes). The CLI
    /// waits a bounded time: a running daemon holds the lock for its life.
    private let lockWaitMilliseconds: Int?

    private var fd: Int32
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var nextSeq: UInt64 = 0
    /// The chain head: the hex SHA-256 of the last line, as the next line's `prev` (bytes: the
    /// hot path appends and rewrites it in place).
    private var prevHex = Array(AuditCrypto.genesisPrev.utf8)
    private var prev: String {
        get { String(decoding: prevHex, as: UTF8.self) }
        set { prevHex = Array(newValue.utf8) }
    }
    /// The line being built, kept from one record to the next so its storage is reused, and
    /// the digest of the last one: no allocation per record under the lock.
    private var line: [UInt8] = []
    private var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
    /// "YYYY-MM-DDTHH:MM:SS." of `stampSecond`: most records of a busy daemon fall in one second.
    private var stampSecond = UInt64.max
    private var stampPrefix: [UInt8] = []
    private var knownSize: off_t = 0
    private var checkpoints: UInt64 = 0
    /// seq of the last checkpoint (from the anchor), to count the records since it.
    private var lastCheckpointSeq: UInt64?
    private var sinceCheckpoint: UInt64 = 0
    /// Ed25519 secret key (libsodium layout: seed ‖ public key) in locked memory, and its public half.
    private var signingKey: GuardedBytes?
    private var publicKey: [UInt8]?

    /// Bigger lines are refused when reading the tail back; no record comes near it.
    static let maximumLine = 1 << 20

    /// `$KEYRACK_HOME`, else `$HOME/.rhachet/keyrack` (the rule of KeyrackHome in the core).
    public static func homeFromEnvironment() -> String? {
        if let h = getenv("KEYRACK_HOME"), h.pointee != 0 { return String(cString: h) }
        if let h = getenv("HOME"), h.pointee != 0 { return String(cString: h) + "/.rhachet/keyrack" }
        return nil
    }

    public static func logPath(home: String, owner: String) -> String { "\(home)/audit/\(owner).jsonl" }

    /// Opens (creating if needed) the owner's log under `home`, which must be the caller's own
    /// directory, closed to others and no symlink; `audit/` is made 0700 and held to it; the
    /// file must be a regular file of ours, mode 0600: a planted symlink or FIFO is refused.
    public init(home: String, owner: String, checkpointEvery: UInt64 = 1000, maximumBytes: Int64 = 64 << 20,
                followsRotation: Bool = false, create: Bool = true, holdsFileLock: Bool = false,
                lockWaitMilliseconds: Int? = nil) throws(AuditError) {
        self.owner = owner
        self.holdsFileLock = holdsFileLock
        self.lockWaitMilliseconds = holdsFileLock ? 5000 : lockWaitMilliseconds
        self.checkpointEvery = max(1, checkpointEvery)
        self.maximumBytes = max(4096, maximumBytes)
        self.followsRotation = followsRotation
        let dir = home + "/audit"
        directory = dir
        path = "\(dir)/\(owner).jsonl"
        headPath = "\(dir)/\(owner).head"
        // Adaptive: a waiter spins briefly before sleeping. The lock is held for one short
        // append; 64 clients sleeping and waking on it (futex round trips, context switches)
        // cost more than the append itself.
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)

        try AuditLog.checkDirectory(home, what: "KEYRACK_HOME", mode: nil)
        if create, mkdir(dir, 0o700) != 0 && errno != EEXIST {
            throw AuditError("cannot create the access log directory \(dir): \(String(cString: strerror(errno)))", remedy: "check that KEYRACK_HOME is writable")
        }
        try AuditLog.checkDirectory(dir, what: "the access log directory", mode: 0o700)

        fd = try AuditLog.openLogFile(path, create: create)

        guard AuditLog.lock(fd, waitMilliseconds: self.lockWaitMilliseconds) else {
            throw AuditError("the access log \(path) is held by another writer (the owner's daemon)",
                             remedy: "let the daemon write it (keyrack talks to it when it answers), or stop the owner's daemon first")
        }
        defer { if !holdsFileLock { flock(fd, LOCK_UN) } }
        loadAnchor()
        try syncTail()
        if nextSeq == 0 {
            var f = AuditFields()
            f.add("owner", owner)
            f.add("created_by_pid", Int(getpid()))
            guard writeLocked(event: "genesis", fields: f) else {
                throw AuditError("cannot write the access log \(path): \(String(cString: strerror(errno)))", remedy: "free disk space or fix the file's permissions")
            }
        }
    }

    /// Opens a log file for appending, refusing a symlink, a FIFO or device, and a file that is
    /// not ours alone.
    static func openLogFile(_ path: String, create: Bool, exclusive: Bool = false) throws(AuditError) -> Int32 {
        let flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | (create ? O_CREAT : 0) | (exclusive ? O_EXCL : 0)
        let opened = open(path, flags, 0o600)
        guard opened >= 0 else {
            let e = errno
            if e == ELOOP { throw AuditError("the access log \(path) is a symbolic link", remedy: "remove it (keyrack never follows a link there) and retry", aboutTheFile: true) }
            if e == ENXIO { throw AuditError("the access log \(path) is not a regular file (a FIFO or socket)", remedy: "remove it and retry", aboutTheFile: true) }
            throw AuditError("cannot open the access log \(path): \(String(cString: strerror(e)))", remedy: "check the file's owner and mode (yours, 0600)")
        }
        var st = stat()
        guard fstat(opened, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(opened)
            throw AuditError("the access log \(path) is not a regular file", remedy: "remove it and retry", aboutTheFile: true)
        }
        guard st.st_uid == geteuid(), st.st_mode & 0o077 == 0 else {
            close(opened)
            throw AuditError("the access log \(path) is \(st.st_uid == geteuid() ? "open to others (mode \(String(st.st_mode & 0o777, radix: 8)))" : "owned by uid \(st.st_uid)")", remedy: "make it yours with mode 0600, or move it away", aboutTheFile: true)
        }
        _ = fcntl(opened, F_SETFL, fcntl(opened, F_GETFL) & ~O_NONBLOCK)
        return opened
    }

    deinit {
        close(fd)
        signingKey?.wipe()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    static func checkDirectory(_ dir: String, what: String, mode: mode_t?) throws(AuditError) {
        var st = stat()
        guard lstat(dir, &st) == 0 else {
            throw AuditError("\(what) \(dir) cannot be examined: \(String(cString: strerror(errno)))", remedy: "create it (keyrack init) or point KEYRACK_HOME at your own directory")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw AuditError("\(what) \(dir) is not a directory (a symlink or file is in the way)", remedy: "remove what is in the way; keyrack does not follow links there")
        }
        guard st.st_uid == geteuid() else {
            throw AuditError("\(what) \(dir) belongs to uid \(st.st_uid), not to you", remedy: "point KEYRACK_HOME at your own directory")
        }
        if let mode, st.st_mode & 0o777 != mode {
            throw AuditError("\(what) \(dir) has mode \(String(st.st_mode & 0o777, radix: 8)), not \(String(mode, radix: 8))", remedy: "run `chmod \(String(mode, radix: 8)) \(dir)` and check what is in it")
        }
        if mode == nil, st.st_mode & 0o022 != 0 {
            throw AuditError("\(what) \(dir) is writable by others", remedy: "run `chmod 700 \(dir)`")
        }
    }

    /// Takes the flock, waiting at most `waitMilliseconds` when given.
    static func lock(_ fd: Int32, waitMilliseconds: Int?) -> Bool {
        guard let wait = waitMilliseconds else {
            while flock(fd, LOCK_EX) != 0 { guard errno == EINTR else { return false } }
            return true
        }
        let deadline = Clock.bootMilliseconds() + UInt64(max(0, wait))
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Clock.bootMilliseconds() < deadline else { return false }
            usleep(1000)
        }
        return true
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    // MARK: the checkpoint key

    /// The owner's checkpoint key, from its 32-byte seed (sent at unlock from the manifest). The
    /// seed is the caller's to wipe; the key is held in locked memory until relock or stop.
    public func setCheckpointKey(seed: [UInt8]) {
        guard let pair = AuditCrypto.signingKey(seed: seed) else { return }
        let secret = pair.secretKey
        let held = try? GuardedBytes(copying: secret)
        wipeStorage(secret)
        locked {
            signingKey?.wipe()
            signingKey = held
            publicKey = pair.publicKey
        }
    }

    public func forgetCheckpointKey() {
        locked { signingKey?.wipe(); signingKey = nil; publicKey = nil }
    }

    public var checkpointPublicKey: [UInt8]? { locked { publicKey } }

    /// The chain head now: the seq of the last record and the hex SHA-256 of its line (what a
    /// card checkpoint signs: the card is the CLI's, which asks for this, signs it and hands the
    /// signature back, AUDIT_HEAD / AUDIT_CARD_CHECKPOINT). Nil before the first record.
    public var head: (seq: UInt64, hash: String)? { locked { nextSeq == 0 ? nil : (nextSeq - 1, prev) } }

    // MARK: appending

    /// Appends one record; false when it could not be written (the caller then refuses what it
    /// was about to do: the log fails closed). A checkpoint follows every `checkpointEvery` records.
    @discardableResult
    public func append(_ event: String, _ fields: AuditFields = AuditFields(), requester: AuditFields? = nil) -> Bool {
        appendReturningSeq(event, fields, requester: requester) != nil
    }

    /// `append`, answering the seq the record got (nil when it was not written).
    public func appendReturningSeq(_ event: String, _ fields: AuditFields = AuditFields(), requester: AuditFields? = nil) -> UInt64? {
        var f = fields
        if let requester { f.add("requester", object: requester) }
        return locked {
            // The daemon holds the flock: nobody else appended, so neither flock nor fstat.
            if !holdsFileLock {
                guard lockCurrentFile() else { return nil }
            }
            defer { if !holdsFileLock { flock(fd, LOCK_UN) } }
            if !holdsFileLock { guard (try? syncTail()) != nil else { return nil } }
            guard writeLocked(event: event, fields: f) else { return nil }
            let seq = nextSeq - 1
            if sinceCheckpoint >= checkpointEvery { _ = checkpointLocked(reason: "every \(checkpointEvery) records") }
            if !followsRotation, Int64(knownSize) >= maximumBytes { rotateLocked() }
            return seq
        }
    }

    /// Takes the flock of the file the path names. A follower whose file was rotated away
    /// reopens the path first (the rotation happened under the old file's flock, so once that
    /// is ours the new file is complete).
    private func lockCurrentFile() -> Bool {
        guard AuditLog.lock(fd, waitMilliseconds: lockWaitMilliseconds) else { return false }
        guard followsRotation else { return true }
        var mine = stat(), named = stat()
        guard fstat(fd, &mine) == 0 else { return false }
        if lstat(path, &named) == 0, named.st_ino == mine.st_ino, named.st_dev == mine.st_dev { return true }
        flock(fd, LOCK_UN)
        guard let reopened = try? AuditLog.openLogFile(path, create: true) else { return false }
        close(fd)
        fd = reopened
        knownSize = -1
        return AuditLog.lock(fd, waitMilliseconds: lockWaitMilliseconds)
    }

    /// Archives the full file and starts a new one that continues the chain: a checkpoint closes
    /// the old file; the new file's genesis names it (`continues`), carries its head as `prev`,
    /// and seq goes on. The new file is complete before it takes the path (written under a
    /// temporary name, the old one hard-linked to its archive name, then renamed over the
    /// path), so no writer ever finds the path missing or half made.
    private func rotateLocked() {
        _ = checkpointLocked(reason: "rotation")
        let lastSeq = String(nextSeq - 1)
        let archivedName = "\(owner).\(String(repeating: "0", count: max(0, 12 - lastSeq.count)) + lastSeq).jsonl"
        let archived = "\(directory)/\(archivedName)"
        let tmp = "\(directory)/.\(owner).jsonl.rotating.\(getpid())"
        unlink(tmp)
        guard let newFD = try? AuditLog.openLogFile(tmp, create: true, exclusive: true) else { return }
        flock(newFD, LOCK_EX)
        let saved = (fd, prevHex, nextSeq, knownSize, sinceCheckpoint)
        func undo() {
            (fd, prevHex, nextSeq, knownSize, sinceCheckpoint) = saved
            close(newFD)
            unlink(tmp)
        }
        fd = newFD
        knownSize = 0
        var f = AuditFields()
        f.add("owner", owner)
        f.add("continues", archivedName)
        guard writeLocked(event: "genesis", fields: f), link(path, archived) == 0 else { return undo() }
        guard rename(tmp, path) == 0 else { unlink(archived); return undo() }
        flock(saved.0, LOCK_UN)
        close(saved.0)
    }

    /// A checkpoint now (relock, stop), unless the last record already is one.
    @discardableResult
    public func checkpoint(reason: String) -> Bool {
        locked {
            if !holdsFileLock {
                guard lockCurrentFile() else { return false }
            }
            defer { if !holdsFileLock { flock(fd, LOCK_UN) } }
            if !holdsFileLock { guard (try? syncTail()) != nil else { return false } }
            if sinceCheckpoint == 0 && checkpoints > 0 { return true }
            return checkpointLocked(reason: reason)
        }
    }

    private func checkpointLocked(reason: String) -> Bool {
        let ordinal = checkpoints + 1
        var f = AuditFields()
        f.add("ordinal", ordinal)
        f.add("reason", reason)
        f.add("head", prev)
        if let key = signingKey, let publicKey {
            let message = AuditCrypto.checkpointMessage(owner: owner, seq: nextSeq, ordinal: ordinal, head: prev)
            var secret = key.withBytes { Array($0) }
            let signature = AuditCrypto.sign(message, secretKey: secret)
            zeroize(&secret)
            f.add("key", AuditCrypto.hex(publicKey))
            f.add("sig", AuditCrypto.hex(signature))
        } else {
            f.add("unsigned", "no checkpoint key: the daemon holds one only while the owner is unlocked")
        }
        guard writeLineLocked(event: "checkpoint", fields: f) else { return false }
        let written = Array(line.dropLast())
        checkpoints = ordinal
        lastCheckpointSeq = nextSeq - 1
        sinceCheckpoint = 0
        fsync(fd)
        writeAnchor(written)
        return true
    }

    private func writeLocked(event: String, fields: AuditFields) -> Bool {
        guard writeLineLocked(event: event, fields: fields) else { return false }
        sinceCheckpoint += 1
        return true
    }

    /// Builds `{"seq":N,"time":…,"event":…,"prev":…,<fields>}\n` in `line` and writes it with
    /// one write(2); `line` keeps the record (its newline included) until the next one.
    ///
    /// This runs under the lock once per GET, so it allocates nothing (the buffer's capacity is
    /// reused, the digits and the time are written as bytes), hashes the line where it lies, and
    /// writes the head's hex in place; the fields were encoded by the caller outside the lock.
    private func writeLineLocked(event: String, fields: AuditFields) -> Bool {
        line.removeAll(keepingCapacity: true)
        line.append(contentsOf: AuditLog.seqKey)
        AuditLog.appendDecimal(nextSeq, to: &line)
        line.append(contentsOf: AuditLog.timeKey)
        appendStamp(Clock.wallMilliseconds())
        line.append(contentsOf: AuditLog.eventKey)
        AuditFields.appendQuoted(event, to: &line)
        line.append(contentsOf: AuditLog.prevKey)
        line.append(contentsOf: prevHex)
        line.append(0x22)
        if !fields.text.isEmpty { line.append(0x2c); line.append(contentsOf: fields.text.utf8) }
        line.append(0x7d)
        line.append(0x0a)
        let count = line.count
        var offset = 0
        while offset < count {
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + offset, count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        // The next line's `prev`: the SHA-256 of this one without its newline, in hex.
        line.withUnsafeBufferPointer { l in
            digest.withUnsafeMutableBufferPointer { AuditCrypto.sha256(UnsafeBufferPointer(rebasing: l[0..<count - 1]), into: $0.baseAddress!) }
        }
        prevHex.withUnsafeMutableBufferPointer { out in
            for (i, b) in digest.enumerated() {
                out[2 * i] = AuditLog.hexDigits[Int(b >> 4)]
                out[2 * i + 1] = AuditLog.hexDigits[Int(b & 15)]
            }
        }
        nextSeq += 1
        knownSize += off_t(count)
        return true
    }

    private static let seqKey = Array("{\"seq\":".utf8)
    private static let timeKey = Array(",\"time\":\"".utf8)
    private static let eventKey = Array("\",\"event\":".utf8)
    private static let prevKey = Array(",\"prev\":\"".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        // Room for UInt64.max's 20 digits, written backwards (two words held only 16: a 17-digit
        // value trapped; the unlock record's TTLs in seconds go through here too).
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(48 + v % 10); v /= 10; n += 1 } while v > 0
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }

    /// The record's time, UTC with milliseconds (RFC 3339), e.g. 2026-12-05T07:19:02.598Z.
    private func appendStamp(_ ms: UInt64) {
        let second = ms / 1000
        if second != stampSecond {
            stampPrefix = Array(AuditTime.formatSecond(second).utf8)
            stampSecond = second
        }
        line.append(contentsOf: stampPrefix)
        let milli = ms % 1000
        line.append(UInt8(48 + milli / 100))
        line.append(UInt8(48 + milli / 10 % 10))
        line.append(UInt8(48 + milli % 10))
        line.append(0x5a)
    }

    // MARK: reading back

    /// Brings `nextSeq` and `prev` up to date with the file (another writer may have appended),
    /// trimming a partial last line a killed writer left behind.
    private func syncTail() throws(AuditError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AuditError("cannot examine the access log \(path)", remedy: "check the disk") }
        if st.st_size == knownSize { return }
        if st.st_size == 0 { knownSize = 0; nextSeq = 0; prev = AuditCrypto.genesisPrev; return }
        let size = Int(st.st_size)
        // Read back until a complete last line is in hand.
        var window = min(size, 65536)
        var chunk: [UInt8] = []
        while true {
            chunk = [UInt8](repeating: 0, count: window)
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, window, off_t(size - window)) }
            guard n == window else { throw AuditError("cannot read the access log \(path)", remedy: "check the disk") }
            let body = chunk.last == 0x0a ? chunk.dropLast() : chunk[...]
            if body.contains(0x0a) || window == size { break }
            guard window < AuditLog.maximumLine else { throw AuditError("the access log \(path) ends in a line longer than 1 MiB", remedy: "run keyrack audit verify; move the file away to start a new log") }
            window = min(size, window * 4)
        }
        var end = chunk.count
        if chunk.last != 0x0a {
            // A record whose write was cut (the writer was killed): trim it so the chain goes on.
            guard let lastNewline = chunk.lastIndex(of: 0x0a) else {
                ftruncate(fd, 0); knownSize = 0; nextSeq = 0; prev = AuditCrypto.genesisPrev; return
            }
            let cut = chunk.count - (lastNewline + 1)
            ftruncate(fd, off_t(size - cut))
            end = lastNewline + 1
            knownSize = off_t(size - cut)
            let lineStart = chunk[..<(end - 1)].lastIndex(of: 0x0a).map { $0 + 1 } ?? 0
            adopt(line: chunk[lineStart ..< end - 1])
            var f = AuditFields()
            f.add("trimmed_bytes", cut)
            _ = writeLocked(event: "recovered", fields: f)
            return
        }
        knownSize = st.st_size
        let start = chunk[..<(end - 1)].lastIndex(of: 0x0a).map { $0 + 1 } ?? 0
        adopt(line: chunk[start ..< end - 1])
    }

    /// Takes over the chain from the file's last line, and the checkpoint count from the anchor
    /// (another writer may have made checkpoints: it writes the anchor under the same flock).
    private func adopt(line: ArraySlice<UInt8>) {
        prev = AuditCrypto.sha256Hex(Array(line))
        let seq = AuditLog.leadingSeq(line) ?? nextSeq
        nextSeq = seq + 1
        loadAnchor()
        if let last = lastCheckpointSeq, last < nextSeq { sinceCheckpoint = nextSeq - last - 1 } else { sinceCheckpoint = nextSeq }
    }

    /// `{"seq":N,` → N (every record starts so).
    static func leadingSeq(_ line: ArraySlice<UInt8>) -> UInt64? {
        let prefix = Array("{\"seq\":".utf8)
        guard line.starts(with: prefix) else { return nil }
        var v: UInt64 = 0
        var any = false
        for b in line.dropFirst(prefix.count) {
            guard b >= 48 && b <= 57 else { break }
            v = v &* 10 &+ UInt64(b - 48); any = true
        }
        return any ? v : nil
    }

    static func isCheckpoint(_ line: ArraySlice<UInt8>) -> Bool {
        let needle = Array("\"event\":\"checkpoint\"".utf8)
        guard line.count >= needle.count else { return false }
        for i in line.startIndex...(line.endIndex - needle.count) where line[i] == needle[0] {
            if line[i..<i + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }

    // MARK: the anchor

    /// The last checkpoint line, which `audit verify` expects to find in the log at its seq.
    private func loadAnchor() {
        guard let bytes = AuditLog.readAnchor(headPath) else { return }
        let line = bytes.last == 0x0a ? bytes.dropLast() : bytes[...]
        if let ordinal = AuditLog.number(after: "\"ordinal\":", in: line) { checkpoints = ordinal }
        lastCheckpointSeq = AuditLog.leadingSeq(line)
    }

    static func readAnchor(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size < maximumLine else { return nil }
        var out = [UInt8](repeating: 0, count: Int(st.st_size))
        let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        return n == out.count ? out : nil
    }

    static func number(after key: String, in line: ArraySlice<UInt8>) -> UInt64? {
        let needle = Array(key.utf8)
        guard line.count > needle.count else { return nil }
        for i in line.startIndex...(line.endIndex - needle.count) where line[i..<i + needle.count].elementsEqual(needle) {
            return leadingDigits(line[(i + needle.count)...])
        }
        return nil
    }

    static func leadingDigits(_ s: ArraySlice<UInt8>) -> UInt64? {
        var v: UInt64 = 0
        var any = false
        for b in s { guard b >= 48 && b <= 57 else { break }; v = v &* 10 &+ UInt64(b - 48); any = true }
        return any ? v : nil
    }

    /// Temp file beside it, fsync, rename: the anchor is the old line or the new one, never half.
    private func writeAnchor(_ line: [UInt8]) {
        let tmp = headPath + ".tmp.\(getpid())"
        unlink(tmp)
        let t = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard t >= 0 else { return }
        let bytes = line + [0x0a]
        let n = bytes.withUnsafeBytes { write(t, $0.baseAddress!, $0.count) }
        fsync(t)
        close(t)
        if n == bytes.count { rename(tmp, headPath) } else { unlink(tmp) }
    }
}
