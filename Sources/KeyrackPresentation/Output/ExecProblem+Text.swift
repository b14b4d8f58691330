import KeyrackApp

/// exec's refusals in its options' words.
extension ExecRequest.Problem {
    public var cliText: String {
        switch self {
        case .noCommand: "no command given: put it after --, e.g. keyrack exec --env test -- make deploy"
        case .nothingToPass: "give --env ENV or --env-file FILE: which keys to pass (with --sandbox, neither: the program asks with keyrack get)"
        case .invalidEnv(let env): "invalid --env '\(env)'"
        case .keysNeedEnv: "--key needs --env (in an env file, name keys as keyrack://ORG.ENV.KEY)"
        case .needsSandbox: "--workdir, --share and --unlock need --sandbox"
        case .unlockNeedsEnv: "--unlock needs --env: which keys to unlock"
        case .maskInSandbox: "--mask and --sandbox cannot be combined yet: choose one"
        case .upstreamCANeedsProxy: "--upstream-cacert needs --proxy"
        case .proxyNeedsEnv: "--proxy needs --env ENV (and --key K …): which keys to hand out as placeholders"
        case .proxyWithEnvFile: "--proxy and --env-file cannot be combined yet: name the keys with --env and --key"
        case .proxyWithMask: "--proxy and --mask cannot be combined: under --proxy the program holds no value to mask"
        }
    }
}
