import KeyrackApp
import KeyrackClient
import KeyrackDaemon
import KeyrackNames

/// How `unlock` shows what it did: its events on stderr as they happen, its result on stdout
/// (text, or one JSON object with --json).
public enum UnlockRendering {
    public static func line(_ event: UnlockEvent) -> String {
        switch event {
        case .openedWithBackup(let owner, let recipient): return "opened the manifest of '\(owner)' with backup recipient \(recipient)"
        case .capped(let slug, let cap): return "note: \(slug) is capped to \(cap.cliText)"
        case .stayedLocked(let slug, let why): return "warning: \(slug) stays locked: \(why.cliText)"
        case .daemonStarted(let owner, let pid): return DaemonStart.startedLine(owner: owner, pid: pid)
        case .agentCapped(let owner, let minutes): return "note: the identity agent is capped to \(minutes)m: the manifest of '\(owner)' holds sudo keys"
        case .cardCheckpoint(.signed(let seq, let serial, let slot)): return "note: YubiKey \(serial) slot \(slot) signed the access log's head (record \(seq))"
        case .cardCheckpoint(.tpmSigned(let seq)): return "note: the TPM signed the access log's head (record \(seq))"
        case .cardCheckpoint(.skipped(let why, let then)): return "note: no card checkpoint in the access log this time: \(why)\(then?.cli ?? "")"
        }
    }

    /// The text answer for the keys: a header line, then each key and how long it stays unlocked.
    /// Bytes, written at once: a write per key was 10 000 system calls at 10 000 keys. Measured
    /// first, then stored through a pointer into a buffer of that size: appended part by part,
    /// each grant's slug was copied out and released again, and each append checked its room
    /// (1 200 instructions a key).
    public static func text(owner: String, recipient: String, unlocked: [GrantInfo]) -> [UInt8] {
        let header = Array("unlocked \(unlocked.count) key(s) of '\(owner)' with recipient \(recipient):\n".utf8)
        return unlocked.withUnsafeBufferPointer { grants in
            // The time left worded once per distinct value (an unlock's grants nearly all share one),
            // and `ORG.ENV.` once per run of slugs that share them (nearly all of them, too).
            var words = Words(), prefix = Prefix()
            var size = header.count
            for i in grants.indices {
                let slug = grants[i].slug
                size += indent.count + prefix.bytes(slug).count + slug.key.utf8.count + expiresIn.count
                    + words.bytes(grants[i].remainingMilliseconds).count + 1
            }
            return [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                var out = buffer.baseAddress!
                func put(_ bytes: [UInt8]) {
                    bytes.withUnsafeBufferPointer { if let b = $0.baseAddress { out.update(from: b, count: $0.count) } }
                    out += bytes.count
                }
                put(header)
                for i in grants.indices {
                    let slug = grants[i].slug
                    put(indent)
                    put(prefix.bytes(slug))
                    var key = slug.key
                    key.withUTF8 { if let b = $0.baseAddress { out.update(from: b, count: $0.count) }; out += $0.count }
                    put(expiresIn)
                    put(words.bytes(grants[i].remainingMilliseconds))
                    out.pointee = UInt8(ascii: "\n"); out += 1
                }
                initialized = out - buffer.baseAddress!
                precondition(initialized == size, "unlock's text was measured as \(size) bytes and written as \(initialized)")
            }
        }
    }

    // As byte arrays, stored by one copy each.
    private static let indent = Array("  ".utf8), expiresIn = Array("  expires in ".utf8)

    /// The last time left worded, as bytes (TextFormat.remaining).
    private struct Words {
        var milliseconds: UInt64?, text: [UInt8] = []
        mutating func bytes(_ ms: UInt64) -> [UInt8] {
            if milliseconds != ms { (milliseconds, text) = (ms, Array(TextFormat.remaining(milliseconds: ms).utf8)) }
            return text
        }
    }

    /// The last slug's `ORG.ENV.`, as bytes.
    private struct Prefix {
        var org: String?, env: String?, text: [UInt8] = []
        mutating func bytes(_ slug: Slug) -> [UInt8] {
            if org != slug.org || env != slug.env { (org, env, text) = (slug.org, slug.env, Array("\(slug.org).\(slug.env).".utf8)) }
            return text
        }
    }

    /// The text answer for the identity agent: how long, which identities, how age clients use it.
    public static func lines(_ agent: IdentityAgentStart.Result) -> [String] {
        ["identity agent of '\(agent.owner)' unlocked for \(TextFormat.remaining(milliseconds: agent.remainingMilliseconds)) with \(agent.labels.count) identit\(agent.labels.count == 1 ? "y" : "ies"):"]
            + agent.labels.map { "  \($0)" }
            + ["age clients use it through the identity `keyrack identity\(Fix.ownerFlag(agent.owner))` prints"]
    }

    public static func render(_ result: UnlockResult, json: Bool) {
        if let recipient = result.recipient {
            if json {
                JSONLine.print(UnlockJSON(owner: result.owner, recipient: recipient, unlocked: result.unlocked,
                                          omitted: result.omitted.map { ($0.slug.description, $0.reason.cliText) }))
            } else {
                Output.write(text(owner: result.owner, recipient: recipient, unlocked: result.unlocked))
            }
        }
        if let agent = result.agent { render(agent, json: json) }
    }

    public static func render(_ agent: IdentityAgentStart.Result, json: Bool) {
        if json {
            JSONLine.print(IdentityAgentUnlockJSON(owner: agent.owner, labels: agent.labels, expiresAtWallMilliseconds: agent.expiresAtWallMilliseconds))
        } else {
            for line in lines(agent) { Output.line(line) }
        }
    }
}
