import KeyrackClient
import KeyrackDaemon

/// Small shared pieces of the daemon-facing commands.
enum DaemonCommandSupport {
    /// The names and values `exec` and `source` hand out: KeyrackClient's `ValueFetch`, the one
    /// client path `get` takes too (allowlist, verified daemon, firewall, dangerous names).
    static func fetch(owner: String, env: String, names: [String], allowDangerous: Bool, lenient: Bool = false) throws -> [(name: String, value: [UInt8])] {
        try ValueFetch(owner: owner, allowDangerous: allowDangerous).environment(env: env, keys: names, lenient: lenient)
    }

}
