/// What one sandbox is made of, decided before bubblewrap runs (SandboxPlan fills it from the
/// machine; BubblewrapArguments turns it into bwrap's argv). Paths are absolute and exist on the
/// host; the spec holds no secret.
///
/// The layers, in the order they are mounted (a later one covers an earlier one):
/// the host read-only → a fresh /dev, /proc (the new pid namespace: others' processes are not
/// there) and /tmp → `home` replaced by an empty writable tmpfs (PIN files, tokens, shell history
/// of the human are not the robot's) → `shared` paths and keyrack's `tools` bound back read-only → `workdir` bound
/// read-write → `hiddenDirectories` covered by empty read-only tmpfs, `hiddenFiles` by /dev/null
/// → `runtimeDirectory` an empty private tmpfs → `socketDirectory` made 0700 with only the
/// owner's `socket` bound in, at the path the owner's clients look for.
public struct SandboxSpec: Equatable, Sendable {
    /// The owner whose daemon the sandbox can reach.
    public var owner: String
    /// Read-write inside, and where the command starts.
    public var workdir: String
    /// The home directory, replaced by an empty writable tmpfs (nil: none to replace).
    public var home: String?
    /// Host paths bound back read-only (under the replaced home, typically).
    public var shared: [String]
    /// keyrack's own executables, bound read-only at their paths (they may live in the home).
    public var tools: [String]
    /// Directories covered by empty read-only tmpfs: KEYRACK_HOME, ~/.ssh, /run/pcscd, …
    public var hiddenDirectories: [String]
    /// Files covered by /dev/null: identity files outside any hidden directory.
    public var hiddenFiles: [String]
    /// `$XDG_RUNTIME_DIR`, replaced by an empty private tmpfs (nil: the /tmp fallback is used,
    /// and /tmp is private anyway).
    public var runtimeDirectory: String?
    /// The directory the owner's clients look in for its socket (RuntimeDirectory.path).
    public var socketDirectory: String
    /// The owner's daemon socket, inside `socketDirectory`.
    public var socket: String
    /// The program and its arguments.
    public var command: [String]

    public init(owner: String, workdir: String, home: String?, shared: [String] = [], tools: [String] = [], hiddenDirectories: [String],
                hiddenFiles: [String], runtimeDirectory: String?, socketDirectory: String, socket: String, command: [String]) {
        self.owner = owner; self.workdir = workdir; self.home = home; self.shared = shared; self.tools = tools
        self.hiddenDirectories = hiddenDirectories; self.hiddenFiles = hiddenFiles
        self.runtimeDirectory = runtimeDirectory; self.socketDirectory = socketDirectory
        self.socket = socket; self.command = command
    }

    /// The variable that tells keyrack's clients inside which owner the sandbox is for. It only
    /// chooses the wording of an error: what stops the other owners is that their sockets are
    /// not there.
    public static let ownerVariable = "KEYRACK_SANDBOX_OWNER"
}
