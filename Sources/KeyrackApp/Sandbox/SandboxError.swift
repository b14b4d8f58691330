/// Every way `exec --sandbox` can fail before or around the program it runs. `problem` says what
/// was wrong, `fix` what to do, apart, so the CLI renders text and JSON from one value. None of
/// them means the program ran unsandboxed: each is raised before the program would start.
public enum SandboxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `KEYRACK_BWRAP` names a file that is not an executable, or `bwrap` is not on PATH.
    case bubblewrapMissing(String)
    /// bubblewrap ran but could not build the sandbox (no user namespaces, a mount refused…);
    /// its own message went to stderr just before.
    case notBuilt(status: Int32)
    /// The workdir is one the sandbox must hide, or holds the home directory it replaces.
    case badWorkdir(path: String, reason: String)
    /// A `--share` path overlaps something the sandbox hides.
    case badShare(path: String, reason: String)
    /// The owner's daemon socket is absent: nothing to show inside.
    case ownerLocked(owner: String)
    /// The owner's daemon would not record the sandbox (it answers only sandboxed peers).
    case registrationFailed(owner: String, reason: String)
    /// A system call keyrack needs around the sandbox failed.
    case system(String)

    public var problem: String {
        switch self {
        case .bubblewrapMissing(let why): "cannot build a sandbox: \(why)"
        case .notBuilt(let status): "bubblewrap could not build the sandbox (it exited \(status) before the command started; its reason is above); the command was not run"
        case .badWorkdir(let path, let reason): "the sandbox's workdir \(path) \(reason)"
        case .badShare(let path, let reason): "cannot share \(path) with the sandbox: \(reason)"
        case .ownerLocked(let owner): "the daemon of '\(owner)' is not running, so the sandbox would have no keys to reach"
        case .registrationFailed(let owner, let reason): "the daemon of '\(owner)' did not accept the sandbox: \(reason)"
        case .system(let what): what
        }
    }

    /// What to do, naming no command or option (the CLI's SandboxCommand words those).
    public var fix: String {
        switch self {
        case .bubblewrapMissing: "install bubblewrap (Debian: apt-get install bubblewrap), or point KEYRACK_BWRAP at bwrap"
        case .notBuilt: "check that unprivileged user namespaces work, then retry"
        case .badWorkdir: "make a project directory the workdir"
        case .badShare: "share a path outside what the sandbox hides"
        case .ownerLocked: "unlock the owner first"
        case .registrationFailed: "start the sandbox from an ordinary shell, not from inside another sandbox"
        case .system: "retry; if it repeats, report it"
        }
    }

    public var description: String { "\(problem): \(fix)" }
}
