#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// The one way keyrack starts another program: posix_spawn, with the argv and environment
/// marshalled here and nowhere else. Foundation-free (the daemon launcher in KeyrackDaemon uses
/// it), so the core, the app layer and the CLI share it with the daemon instead of each writing
/// its own posix_spawn or reaching for Foundation's `Process`. A child that must get a
/// parent-death signal (the sandbox's bubblewrap) is forked instead (ForkSpawn.swift says why).
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
    /// Further descriptors the child gets at fixed numbers, copied (dup2) after the standard
    /// three. No `source` may be another's `target`: dup sources above every target first.
    public var descriptors: [Descriptor] = []
    /// A new session (setsid): the child outlives the terminal and the caller's process group.
    public var newSession = false
    /// A process group of its own (setpgid(0, 0)), in the caller's session: the terminal's ^C
    /// then reaches the caller alone, which decides what to forward.
    public var processGroup = false
    /// Linux's parent-death signal (PR_SET_PDEATHSIG), sent to the child when the thread that
    /// started it ends; a child whose parent is already gone exits 125 before it execs. Only with
    /// a path (no `searchPath`). posix_spawn has no such attribute, so such a child is forked.
    public var parentDeathSignal: Int32?
    /// Every signal the child may receive back at its default and none blocked, whatever keyrack
    /// itself ignores or blocks (a user's program decides for itself).
    public var defaultSignals = false

    /// One more descriptor of the child: a copy of the caller's `source` as its `target`.
    public struct Descriptor: Sendable, Equatable {
        public var source: Int32
        public var target: Int32
        public init(source: Int32, target: Int32) { self.source = source; self.target = target }
    }

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
        if let signal = parentDeathSignal { return startForked(parentDeathSignal: signal) }
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
        for d in descriptors { posix_spawn_file_actions_adddup2(&actions, d.source, d.target) }
        var pid: pid_t = 0
        let rc: Int32
        if let environment {
            // The copies are zeroed before they are freed: an environment may carry a value.
            let envp = environment.map { strdup($0) } + [nil]
            defer { for entry in envp { if let entry { zeroize(entry, count: strlen(entry)) }; free(entry) } }
            rc = posix(environment: envp, actions: &actions, pid: &pid)
        } else {
            rc = posix(environment: nil, actions: &actions, pid: &pid)
        }
        return rc == 0 ? .success(pid) : .failure(SpawnError(executable: executable, code: rc))
    }

    /// The one posix_spawn call. A nil `environment` is the caller's own (`inheritedEnvironment`),
    /// handed over as it is, values in it uncopied (`exec --mask`).
    private func posix(environment: UnsafePointer<UnsafeMutablePointer<CChar>?>?,
                       actions: UnsafePointer<posix_spawn_file_actions_t>?, pid: inout pid_t) -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var flags: Int32 = 0
        if defaultSignals {
            var defaults = sigset_t(), empty = sigset_t()
            sigemptyset(&empty)
            sigemptyset(&defaults)
            for s in Spawn.defaultedSignals { sigaddset(&defaults, s) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setsigmask(&attributes, &empty)
            flags |= Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        }
        // POSIX_SPAWN_SETSID (glibc 2.26+; the constant is not imported into Swift).
        if newSession { flags |= 0x80 }
        if processGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv = cArguments
        defer { argv.forEach { free($0) } }
        let envp = environment ?? Spawn.inheritedEnvironment
        return searchPath ? posix_spawnp(&pid, executable, actions, &attributes, argv, envp)
                          : posix_spawn(&pid, executable, actions, &attributes, argv, envp)
    }

    /// The caller's environment block, C's `environ`: the one place keyrack reads that global
    /// (Swift 6 mode imports it unchecked, so the rule is written here). It is only read, at the
    /// moment of a spawn, and must not race a `setenv` (which may move the array). keyrack's two
    /// writers: `exec`, on its one thread just before it execs itself away (no spawn follows),
    /// and TPMConnection, which adds TSS2_LOG once, when it is unset, before its first TPM call.
    static var inheritedEnvironment: UnsafePointer<UnsafeMutablePointer<CChar>?> { UnsafePointer(environ) }

    /// The signals a `defaultSignals` child gets at their default: those keyrack handles or
    /// ignores itself (it forwards the first four and SIGWINCH, ignores SIGPIPE), and SIGCHLD,
    /// which a child must never inherit ignored.
    static let defaultedSignals = [SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD, SIGWINCH]

    /// argv as C strings (argv[0] is `executable`), nil-terminated; the caller frees each.
    var cArguments: [UnsafeMutablePointer<CChar>?] { ([executable] + arguments).map { strdup($0) } + [nil] }

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
