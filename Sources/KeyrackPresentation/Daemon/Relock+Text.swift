import KeyrackApp

/// `relock`'s text: each key relocked, the identity agent, or that there was nothing to relock;
/// and on stderr, an orphaned daemon that was stopped.
extension Relock.Result {
    public func lines(owner: String) -> [String] {
        if relocked.isEmpty && !identityAgent { return ["nothing to relock for '\(owner)'"] }
        return relocked.map { "relocked \($0)" } + (identityAgent ? ["relocked the identity agent of '\(owner)'"] : [])
    }

    public func orphanNote(owner: String) -> String? {
        stoppedOrphan.map { "the daemon of '\(owner)' (pid \($0)) had lost its socket: stopped it, which relocked every key it held" }
    }
}
