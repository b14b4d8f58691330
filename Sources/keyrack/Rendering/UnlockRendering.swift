import KeyrackApp
import KeyrackClient
import KeyrackNames

/// How `unlock` shows what it did: its events on stderr as they happen, its result on stdout
/// (text, or one JSON object with --json).
enum UnlockRendering {
    static func line(_ event: UnlockEvent) -> String {
        switch event {
        case .openedWithBackup(let owner, let recipient): return "opened the manifest of '\(owner)' with backup recipient \(recipient)"
        case .capped(let slug, let cap): return "note: \(slug) is capped to \(cap)"
        case .stayedLocked(let slug, let why): return "warning: \(slug) stays locked: \(why)"
        case .daemonStarted(let owner, let pid): return DaemonStart.startedLine(owner: owner, pid: pid)
        case .agentCapped(let owner, let minutes): return "note: the identity agent is capped to \(minutes)m: the manifest of '\(owner)' holds sudo keys"
        case .cardCheckpoint(.signed(let seq, let serial, let slot)): return "note: YubiKey \(serial) slot \(slot) signed the access log's head (record \(seq))"
        case .cardCheckpoint(.tpmSigned(let seq)): return "note: the TPM signed the access log's head (record \(seq))"
        case .cardCheckpoint(.skipped(let why)): return "note: no card checkpoint in the access log this time: \(why)"
        }
    }

    static func render(_ result: UnlockResult, json: Bool) {
        if let recipient = result.recipient {
            if json {
                JSONLine.print(UnlockJSON(owner: result.owner, recipient: recipient, unlocked: result.unlocked,
                                          omitted: result.omitted.map { ($0.slug.description, $0.reason) }))
            } else {
                // One write for the whole list: a write per key was 10 000 system calls at 10 000 keys.
                var text = Array("unlocked \(result.unlocked.count) key(s) of '\(result.owner)' with recipient \(recipient):\n".utf8)
                text.reserveCapacity(text.count + result.unlocked.count * 64)
                // The slug's bytes without its description made, and the time left worded once
                // per distinct value (an unlock's grants nearly all share one).
                var worded: (milliseconds: UInt64, text: String)?
                for g in result.unlocked {
                    text += "  ".utf8
                    g.slug.appendUTF8(to: &text)
                    text += "  expires in ".utf8
                    if worded?.milliseconds != g.remainingMilliseconds {
                        worded = (g.remainingMilliseconds, TextFormat.remaining(milliseconds: g.remainingMilliseconds))
                    }
                    text += worded!.text.utf8
                    text.append(UInt8(ascii: "\n"))
                }
                Output.write(text)
            }
        }
        if let agent = result.agent { render(agent, json: json) }
    }

    static func render(_ agent: IdentityAgentStart.Result, json: Bool) {
        if json {
            JSONLine.print(IdentityAgentUnlockJSON(owner: agent.owner, labels: agent.labels, expiresAtWallMilliseconds: agent.expiresAtWallMilliseconds))
        } else {
            Output.line("identity agent of '\(agent.owner)' unlocked for \(TextFormat.remaining(milliseconds: agent.remainingMilliseconds)) with \(agent.labels.count) identit\(agent.labels.count == 1 ? "y" : "ies"):")
            for label in agent.labels { Output.line("  \(label)") }
            Output.line("age clients use it through the identity `keyrack identity\(Fix.ownerFlag(agent.owner))` prints")
        }
    }
}
