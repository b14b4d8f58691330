import KeyrackDaemon

/// Decides what one sandbox shows and hides, from the caller's environment and the identity files
/// every owner's recipients file names. The file system is asked through `FileFacts`, so the
/// rules are unit-tested with a fake one.
public struct SandboxPlan {
    /// What the plan needs to know of the file system.
    public struct FileFacts {
        /// The canonical path (symlinks resolved), nil when the path does not exist.
        public var resolve: (String) -> String?
        public init(resolve: @escaping (String) -> String?) { self.resolve = resolve }
    }

    /// The inputs: all from the environment and the command line, none secret.
    public struct Inputs {
        public var owner: String
        public var workdir: String
        public var shared: [String]
        public var command: [String]
        /// Executables bound in read-only at their own paths (keyrack's binaries).
        public var tools: [String]
        public var home: String?
        public var keyrackHome: String
        public var xdgRuntimeDirectory: String?
        public var uid: UInt32
        /// Identity files any owner's recipients file names (ssh and age identities).
        public var identityFiles: [String]

        public init(owner: String, workdir: String, shared: [String] = [], command: [String], tools: [String] = [], home: String?, keyrackHome: String,
                    xdgRuntimeDirectory: String?, uid: UInt32, identityFiles: [String]) {
            self.owner = owner; self.workdir = workdir; self.shared = shared; self.command = command; self.tools = tools; self.home = home
            self.keyrackHome = keyrackHome; self.xdgRuntimeDirectory = xdgRuntimeDirectory; self.uid = uid
            self.identityFiles = identityFiles
        }
    }

    /// Directories hidden on every machine that has them: the card (pcscd's socket).
    public static let systemHidden = ["/run/pcscd"]

    public static func make(_ inputs: Inputs, files: FileFacts) throws -> SandboxSpec {
        guard let workdir = files.resolve(inputs.workdir) else {
            throw SandboxError.badWorkdir(path: inputs.workdir, reason: "does not exist")
        }
        let home = inputs.home.flatMap(files.resolve).flatMap { $0 == "/" ? nil : $0 }
        let runtime = inputs.xdgRuntimeDirectory.flatMap { $0.hasPrefix("/") ? files.resolve($0) : nil }
        // The socket's path as the owner's clients compute it: from XDG_RUNTIME_DIR as given.
        let socketDirectory = RuntimeDirectory.resolve(xdgRuntimeDirectory: inputs.xdgRuntimeDirectory, uid: inputs.uid)
        let socket = socketDirectory.socket(owner: inputs.owner)
        guard files.resolve(socket) != nil else { throw SandboxError.ownerLocked(owner: inputs.owner) }

        // Hidden directories: the manifests and sidecars, ssh keys, the card.
        var hidden: [String] = []
        // The login's runtime directory too, when XDG_RUNTIME_DIR does not name it (an ssh session
        // without pam_systemd): its D-Bus and systemd sockets are there all the same.
        let loginRuntime = "/run/user/\(inputs.uid)"
        for candidate in [inputs.keyrackHome] + (inputs.home.map { [$0 + "/.ssh"] } ?? []) + systemHidden + [loginRuntime]
            where files.resolve(candidate) != runtime {
            if let path = files.resolve(candidate), !hidden.contains(path) { hidden.append(path) }
        }
        // Mounted after the workdir: the workdir may not be or lie in one of them, nor hold the
        // home it would otherwise hand back in full. (/tmp is private too, but mounted before the
        // workdir, so a workdir there is bound back and works.)
        let covering = hidden + [runtime].compactMap { $0 }
        for dir in covering where isWithin(workdir, dir) {
            throw SandboxError.badWorkdir(path: workdir, reason: "is inside \(dir), which the sandbox hides")
        }
        if let home, isWithin(home, workdir) {
            throw SandboxError.badWorkdir(path: workdir, reason: "holds the home directory \(home), which the sandbox replaces")
        }
        var shared: [String] = []
        for path in inputs.shared {
            guard let real = files.resolve(path) else { throw SandboxError.badShare(path: path, reason: "it does not exist") }
            for dir in covering where isWithin(real, dir) || isWithin(dir, real) {
                throw SandboxError.badShare(path: path, reason: "it overlaps \(dir), which the sandbox hides")
            }
            if let home, isWithin(home, real) { throw SandboxError.badShare(path: path, reason: "it holds the home directory \(home)") }
            shared.append(real)
        }
        // Identity files: covered one by one where the layers above would leave them visible.
        var hiddenFiles: [String] = []
        for file in inputs.identityFiles {
            guard let real = files.resolve(file), !hiddenFiles.contains(real) else { continue }
            if covering.contains(where: { isWithin(real, $0) }) { continue }
            let boundBack = isWithin(real, workdir) || shared.contains { isWithin(real, $0) }
            let replaced = [home, "/tmp"].compactMap { $0 }.contains { isWithin(real, $0) }
            if boundBack || !replaced { hiddenFiles.append(real) }
        }
        let tools = inputs.tools.compactMap(files.resolve).filter { tool in !covering.contains { isWithin(tool, $0) } }
        return SandboxSpec(owner: inputs.owner, workdir: workdir, home: home, shared: shared, tools: tools, hiddenDirectories: hidden,
                           hiddenFiles: hiddenFiles, runtimeDirectory: runtime, socketDirectory: socketDirectory.path,
                           socket: socket, command: inputs.command)
    }

    /// `path` is `dir` or below it.
    static func isWithin(_ path: String, _ dir: String) -> Bool {
        if dir == "/" { return true }
        return path == dir || path.hasPrefix(dir.hasSuffix("/") ? dir : dir + "/")
    }
}
