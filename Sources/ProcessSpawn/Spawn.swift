#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// The one way keyrack starts another program: posix_spawn, with the argv and environment
/// marshalled here and nowhere else. Foundation-free (the daemon launcher in KeyrackDaemon uses
/// it), so the core, the app layer and the CLI share it with the daemon instead of each writing
/// its own posix_spawn or reaching for Foundation's `Process`.
public struct Spawn: Sendable {
    /// What one of the child's standard descriptors is.
    public enum Stream: Sendable, Equatable {
        /// The caller's own.
        case inherit
        /// /dev/null (read-only for stdin, write-only otherwise).
        case null
        /// A copy (dup2) of this descriptor of the caller, e.g. a pipe's end or 1 for stderr.
        case descriptor(Int32)
        /// A file opened in the child (the daemon's log: append, create 0600, no symlink).
        case file(path: String, flags: Int32, mode: mode_t)
    }

    /// A path, or with `searchPath` a name looked up on the caller's PATH (posix_spawnp).
    public var executable: String
    /// argv[1...]; argv[0] is `executable`.
    public var arguments: [String]
    /// `NAME=value` entries, the child's whole environment; nil passes the caller's own.
    public var environment: [String]?
    public var searchPath = false
    public var stdin: Stream = .inherit
    public var stdout: Stream = .inherit
    public var stderr: Stream = .inherit
    /// A new session (setsid): the child outlives the terminal and the caller's process group.
    public var newSession = false
    /// Every signal the child may receive back at its default and none blocked, whatever keyrack
    /// itself ignores or blocks (a user's program decides for itself).
    public var defaultSignals = false

    public init(_ executable: String, _ arguments: [String] = [], environment: [String]? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    /// `NAME=value` entries from a dictionary.
    public static func environment(_ variables: [String: String]) -> [String] {
        variables.map { "\($0.key)=\($0.value)" }
    }

    /// Starts the program; its pid, or posix_spawn's error number.
    public func start() -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // In order: a `.descriptor(1)` stderr copies the stdout set up just before it.
        for (fd, stream) in [(STDIN_FILENO, stdin), (STDOUT_FILENO, stdout), (STDERR_FILENO, stderr)] {
            switch stream {
            case .inherit: break
            case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
            case .descriptor(let source): posix_spawn_file_actions_adddup2(&actions, source, fd)
            case .file(let path, let flags, let mode): posix_spawn_file_actions_addopen(&actions, fd, path, flags, mode)
            }
        }
        var pid: pid_t = 0
        let rc: Int32
        if let environment {
            // The copies are zeroed before they are freed: an environment may carry a value.
            let envp = environment.map { strdup($0) } + [nil]
            defer { for entry in envp { if let entry { zeroize(entry, count: strlen(entry)) }; free(entry) } }
            rc = Spawn.posix(executable, arguments, environment: envp, searchPath: searchPath, actions: &actions,
                             newSession: newSession, defaultSignals: defaultSignals, pid: &pid)
        } else {
            rc = Spawn.posix(executable, arguments, environment: nil, searchPath: searchPath, actions: &actions,
                             newSession: newSession, defaultSignals: defaultSignals, pid: &pid)
        }
        return rc == 0 ? .success(pid) : .failure(SpawnError(executable: executable, code: rc))
    }

    /// The one posix_spawn call, for callers that build their own file actions or environment
    /// block (`exec --mask` hands over `environ` itself, values in it, uncopied). A nil
    /// `environment` is the caller's own.
    public static func posix(_ executable: String, _ arguments: [String], environment: UnsafePointer<UnsafeMutablePointer<CChar>?>?,
                             searchPath: Bool,
                             actions: UnsafePointer<posix_spawn_file_actions_t>?, newSession: Bool, defaultSignals: Bool,
                             pid: inout pid_t) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags: Int32 = 0
        if defaultSignals {
            var defaults = sigset_t(), empty = sigset_t()
            sigemptyset(&empty)
            sigemptyset(&defaults)
            for s in [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setsigmask(&attributes, &empty)
            flags |= Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        }
        // POSIX_SPAWN_SETSID (glibc 2.26+; the constant is not imported into Swift).
        if newSession { flags |= 0x80 }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment ?? UnsafePointer(environ)
        return searchPath ? posix_spawnp(&pid, executable, actions, &attributes, argv, envp)
                          : posix_spawn(&pid, executable, actions, &attributes, argv, envp)
    }

    /// Waits for `pid` (retrying on EINTR): its exit code, or 128 + the signal that ended it, as
    /// a shell reports it.
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Starts the program and waits for it: its exit code as `wait` reports it.
    public func run() -> Result<Int32, SpawnError> {
        start().map { Spawn.wait($0) }
    }
}

/// posix_spawn's error: `code` is an errno (ENOENT: no such program).
public struct SpawnError: Error, Equatable, Sendable, CustomStringConvertible {
    public let executable: String
    public let code: Int32
    public init(executable: String, code: Int32) { self.executable = executable; self.code = code }
    public var description: String {
        code == ENOENT ? "\(executable): no such program" : "cannot run \(executable): \(String(cString: strerror(code)))"
    }
}
