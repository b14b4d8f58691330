import KeyrackNames

/// What `exec` was asked for, and which of its three ways runs it: the program started with the
/// values in its environment (plain, or masked), in a sandbox that fetches them itself, or behind
/// the keycard proxy with placeholders. The rules refuse what a way cannot keep before anything runs.
public struct ExecRequest: Equatable, Sendable {
    /// How a request is refused: the problem, and what to give instead (ExecProblem+Text words it).
    public enum Problem: Error, Equatable, Sendable {
        case noCommand
        /// Neither an env, an env file nor a sandbox: nothing says which keys to pass.
        case nothingToPass
        case invalidEnv(String)
        /// Key names without the env they belong to.
        case keysNeedEnv
        /// A workdir, a shared path or an unlock first, without a sandbox.
        case needsSandbox
        /// An unlock without the env of the keys to unlock.
        case unlockNeedsEnv
        case maskInSandbox
        /// Upstream CA files without the proxy that checks servers against them.
        case upstreamCANeedsProxy
        /// The proxy hands out placeholders for the keys of an env.
        case proxyNeedsEnv
        case proxyWithEnvFile
        /// Under the proxy the program holds no value to mask.
        case proxyWithMask
    }

    public var owner = "human"
    public var env: String?
    public var keys: [String] = []
    public var envFiles: [String] = []
    public var mask = false
    public var allowDangerous = false
    public var sandbox = false
    /// Sandbox: unlock the keys first, outside it.
    public var unlock = false
    public var workdir: String?
    public var shares: [String] = []
    public var proxy = false
    public var upstreamCACerts: [String] = []
    public var command: [String]

    public init(command: [String]) { self.command = command }

    public func check() throws {
        guard !command.isEmpty else { throw Problem.noCommand }
        if env == nil && envFiles.isEmpty && !sandbox { throw Problem.nothingToPass }
        if let env, !NameRules.isValidEnv(env) { throw Problem.invalidEnv(String(env.prefix(40))) }
        if env == nil && !keys.isEmpty { throw Problem.keysNeedEnv }
        if !sandbox && (workdir != nil || !shares.isEmpty || unlock) { throw Problem.needsSandbox }
        if unlock && env == nil { throw Problem.unlockNeedsEnv }
        if sandbox && mask { throw Problem.maskInSandbox }
        if !proxy && !upstreamCACerts.isEmpty { throw Problem.upstreamCANeedsProxy }
        if proxy {
            if env == nil { throw Problem.proxyNeedsEnv }
            if !envFiles.isEmpty { throw Problem.proxyWithEnvFile }
            if mask { throw Problem.proxyWithMask }
        }
    }

    /// Runs the program and returns its exit status; a plain exec replaces this process with the
    /// program and never returns. `keyrack` is this program's path, for the sandbox's unlock.
    /// `noDestination`: the proxy's note on a key no request will carry, in the caller's words.
    public func run(keyrack: @autoclosure () -> String, noDestination: @escaping @Sendable (String) -> String = ExecProxy.plainNoDestination) throws -> Int32 {
        try check()
        if proxy, !sandbox, let env {
            var request = ExecProxy.Request(owner: owner, env: env, keys: keys, allowDangerous: allowDangerous, upstreamCACerts: upstreamCACerts, command: command)
            request.noDestination = noDestination
            return try ExecProxy.run(request)
        }
        if sandbox {
            // The keys are fetched inside, by keyrack's own plain exec as the sandbox's first
            // process (SandboxExec.innerCommand): a sandboxed owner's daemon serves only there.
            if unlock { try SandboxUnlock.run(try SandboxUnlock.invocations(owner: owner, env: env, keys: keys), keyrack: keyrack()) }
            let keys = SandboxExec.Keys(env: env, names: keys, envFiles: envFiles, allowDangerous: allowDangerous, proxy: proxy, upstreamCACerts: upstreamCACerts)
            return try SandboxExec.run(.init(owner: owner, workdir: workdir, shared: shares, keys: keys, command: command))
        }
        var values = try ExecEnvironment.values(owner: owner, env: env, keys: keys, envFiles: envFiles, allowDangerous: allowDangerous)
        try PlainExec.run(&values, command: command, mask: mask)
    }
}
