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
    /// Bytes, written at once: a write per key was 10 000 system calls at 10 000 keys.
    public static func text(owner: String, recipient: String, unlocked: [GrantInfo]) -> [UInt8] {
        var text = Array("unlocked \(unlocked.count) key(s) of '\(owner)' with recipient \(recipient):\n".utf8)
        text.reserveCapacity(text.count + unlocked.count * 64)
        // The slug's bytes without its description made, and the time left worded once per
        // distinct value (an unlock's grants nearly all share one).
        var worded: (milliseconds: UInt64, bytes: [UInt8])?
        for g in unlocked {
            text.append(contentsOf: indent)
            g.slug.appendUTF8(to: &text)
            text.append(contentsOf: expiresIn)
            if worded?.milliseconds != g.remainingMilliseconds {
                worded = (g.remainingMilliseconds, Array(TextFormat.remaining(milliseconds: g.remainingMilliseconds).utf8))
            }
            text.append(contentsOf: worded!.bytes)
            text.append(UInt8(ascii: "\n"))
        }
        return text
    }

    // As byte arrays, appended by one copy each: a String's `utf8` view is appended element by
    // element (three of them per key were a third of the text's cost at 10 000 keys).
    private static let indent = Array("  ".utf8), expiresIn = Array("  expires in ".utf8)

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
