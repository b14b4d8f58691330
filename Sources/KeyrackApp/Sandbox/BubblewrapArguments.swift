/// SandboxSpec → bwrap's argv. Pure: the same spec always gives the same arguments, so what the
/// sandbox hides is unit-tested without running it (KeyrackAppTests), and the CLI tests run it.
public enum BubblewrapArguments {
    /// The descriptors the launcher hands bubblewrap and the start-up shim: bwrap's info (its
    /// child's host pid), the shim's "the sandbox is built" byte, and keyrack's "go" line.
    public struct Descriptors: Equatable, Sendable {
        public var info: Int32
        public var ready: Int32
        public var go: Int32
        public init(info: Int32 = 3, ready: Int32 = 4, go: Int32 = 5) { self.info = info; self.ready = ready; self.go = go }
    }

    /// The shim that runs first inside the finished sandbox: it says so (so keyrack can tell a
    /// sandbox that failed to build from a command that failed), waits for keyrack's go (sent
    /// once the daemon has recorded the sandbox), closes keyrack's descriptors and becomes the
    /// command. Without the go line (keyrack died) it exits 125 and the command never runs.
    public static func shim(_ fds: Descriptors) -> String {
        "printf r >&\(fds.ready) && IFS= read -r go <&\(fds.go) && [ \"$go\" = go ] || exit 125; "
            + "exec \(fds.info)>&- \(fds.ready)>&- \(fds.go)<&-; exec \"$@\""
    }

    public static func make(_ spec: SandboxSpec, descriptors fds: Descriptors = Descriptors(), shell: String = "/bin/sh") -> [String] {
        var a: [String] = [
            // New user (the caller's uid inside: bwrap's default), mount, pid and IPC namespaces;
            // a new session, so the command cannot push keystrokes into the caller's terminal
            // (TIOCSTI); the sandbox dies with bwrap. bwrap sets no_new_privs itself.
            "--unshare-user", "--unshare-pid", "--unshare-ipc",
            "--new-session", "--die-with-parent",
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--perms", "1777", "--tmpfs", "/tmp",
        ]
        if let home = spec.home { a += ["--perms", "0700", "--tmpfs", home] }
        for path in spec.shared + spec.tools { a += ["--ro-bind", path, path] }
        a += ["--bind", spec.workdir, spec.workdir]
        for dir in spec.hiddenDirectories { a += ["--perms", "0700", "--tmpfs", dir, "--remount-ro", dir] }
        for file in spec.hiddenFiles { a += ["--ro-bind", "/dev/null", file] }
        // DaemonClient.connect checks the socket's directory (0700, ours) and its parent (not
        // changeable by others): both are made here, by the sandbox's own uid.
        if let runtime = spec.runtimeDirectory { a += ["--perms", "0700", "--tmpfs", runtime] }
        a += ["--perms", "0700", "--dir", spec.socketDirectory]
        a += ["--bind", spec.socket, spec.socket]
        a += ["--chdir", spec.workdir, "--setenv", SandboxSpec.ownerVariable, spec.owner, "--info-fd", String(fds.info)]
        a += ["--", shell, "-c", shim(fds), "keyrack-sandbox"] + spec.command
        return a
    }
}
