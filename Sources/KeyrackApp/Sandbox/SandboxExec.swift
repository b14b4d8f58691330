import Foundation
import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif

/// The use case behind `keyrack exec --for OWNER --sandbox`: gathers what to hide from the
/// environment and every owner's recipients file, finds bubblewrap, and runs the command in the
/// sandbox with the owner's daemon told of it first. The caller has already put the granted
/// values in keyrack's environment, as plain `exec` does.
public struct SandboxExec {
    /// Which keys the command gets, as plain `exec` takes them.
    public struct Keys: Equatable, Sendable {
        public var env: String?
        public var names: [String]
        public var envFiles: [String]
        public var allowDangerous: Bool
        /// `exec --proxy` inside (issue 27): keycards run in the sandbox (it shares the host's
        /// network, so the proxy keyrack starts there reaches the real servers).
        public var proxy: Bool
        public var upstreamCACerts: [String]
        public init(env: String?, names: [String], envFiles: [String], allowDangerous: Bool, proxy: Bool = false, upstreamCACerts: [String] = []) {
            self.env = env; self.names = names; self.envFiles = envFiles; self.allowDangerous = allowDangerous
            self.proxy = proxy; self.upstreamCACerts = upstreamCACerts
        }
    }

    public struct Request: Sendable {
        public var owner: String
        /// nil: the current directory.
        public var workdir: String?
        public var shared: [String]
        public var keys: Keys
        public var command: [String]
        public init(owner: String, workdir: String?, shared: [String], keys: Keys, command: [String]) {
            self.owner = owner; self.workdir = workdir; self.shared = shared; self.keys = keys; self.command = command
        }
    }

    /// What runs inside: keyrack's own plain `exec`, which fetches the keys from the owner's
    /// daemon as the sandbox's first process (so a sandboxed owner's daemon serves it: it is in
    /// the owner's sandbox) and execs the command in its place, with the environment, the
    /// firewall and the repository allowlist exactly as plain `exec` applies them.
    /// Without keys to pass (no env, no env file) the command runs as it is: it asks the daemon
    /// itself, with `keyrack get`.
    public static func innerCommand(_ request: Request, keyrack: String, cwd: String) -> [String] {
        if request.keys.env == nil && request.keys.envFiles.isEmpty { return request.command }
        var a = [keyrack, "exec", "--for", request.owner]
        if let env = request.keys.env { a += ["--env", env] }
        for name in request.keys.names { a += ["--key", name] }
        for file in request.keys.envFiles { a += ["--env-file", file.hasPrefix("/") ? file : cwd + "/" + file] }
        if request.keys.allowDangerous { a.append("--allow-dangerous") }
        if request.keys.proxy { a.append("--proxy") }
        for file in request.keys.upstreamCACerts { a += ["--upstream-cacert", file.hasPrefix("/") ? file : cwd + "/" + file] }
        return a + ["--"] + request.command
    }

    /// The spec this machine gives `request` (what `run` would launch).
    public static func spec(_ request: Request, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SandboxSpec {
        let keyrackHome = try KeyrackHome.fromEnvironment(environment)
        let store = HostManifestStore(home: keyrackHome)
        // Every owner's identity files, this owner's too: the robot gets a socket, not a key. A
        // recipients file that does not parse stops the sandbox (its error says which): what it
        // names could not be hidden.
        var identities: [String] = []
        for owner in store.owners() {
            identities += (try store.recipientsFile(owner))?.recipients.compactMap(\.identityPath) ?? []
        }
        let cwd = FileManager.default.currentDirectoryPath
        // keyrack itself, bound in read-only wherever it is installed (~/.local/bin is under the
        // home the sandbox replaces): the front end answers `get`, keyrack-cli the rest.
        let cli = DaemonLauncher.currentExecutable()
        let front = (cli as NSString).deletingLastPathComponent + "/keyrack"
        let inputs = SandboxPlan.Inputs(
            owner: request.owner, workdir: request.workdir.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 } ?? cwd,
            shared: request.shared.map { $0.hasPrefix("/") ? $0 : cwd + "/" + $0 },
            command: innerCommand(request, keyrack: cli, cwd: cwd), tools: [cli, front].filter { access($0, X_OK) == 0 },
            home: environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }, keyrackHome: keyrackHome.root.path,
            xdgRuntimeDirectory: environment["XDG_RUNTIME_DIR"], uid: getuid(), identityFiles: identities)
        return try SandboxPlan.make(inputs, files: SandboxPlan.FileFacts(resolve: realPath))
    }

    /// Runs the command in its sandbox; returns its exit code (128 + signal when one ended it).
    public static func run(_ request: Request) throws -> Int32 {
        let bwrap = try SandboxProbe.bubblewrap()
        let spec = try spec(request)
        return try SandboxLaunch.run(spec, bubblewrap: bwrap) { pid in
            try SandboxRegistration.register(owner: request.owner, sandboxPID: pid)
        }
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
