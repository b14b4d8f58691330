import ArgumentParser
import KeyrackHelp
import KeyrackClient
import KeyrackApp

/// `keyrack get`: one key, from the owner's daemon only. It never decrypts anything, so it is
/// fast and never prompts; when the key is not granted it says which of locked, absent or
/// expired, and the command that fixes it (exit 3).
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print one unlocked key of an owner, from its daemon.",
        discussion: Help.get
    )

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("The key: a bare name (GITHUB_TOKEN) or a full slug (ORG.ENV.KEY).", valueName: "key"))
    var key: String

    @Option(help: ArgumentHelp("The env to look in (sudo, prod, prep, test, all, or custom).", valueName: "env"))
    var env: String?

    @Flag(help: "Print only the value, as raw bytes without a trailing newline.")
    var value = false

    @Flag(help: "Hand out values that look like long-lived tokens (ghp_, gho_, ghu_, ghr_, AKIA).")
    var allowDangerous = false

    @Flag(help: "If the key is locked, unlock this one key first (as `keyrack unlock --key KEY`, asking what unlock asks), then get it. Needs --env or a full slug.")
    var unlock = false

    private var flow: GetFlow {
        GetFlow(owner: options.owner, key: key, env: env, value: value, json: options.json, allowDangerous: allowDangerous)
    }

    func validate() throws {
        if let problem = flow.validationProblem { throw ValidationError(problem) }
        if unlock && UnlockOneKey.env(given: env, key: key) == nil {
            throw ValidationError("--unlock needs --env ENV (or a full slug ORG.ENV.KEY) to know which key to unlock")
        }
    }

    /// The flow itself is KeyrackClient's `GetFlow`, which the Foundation-free `keyrack` front end
    /// runs too: both must print the same bytes and exit with the same codes.
    func run() throws {
        guard unlock, let env = UnlockOneKey.env(given: env, key: key) else { return try flow.run() }
        if let status = try UnlockOneKey.getUnlocking(owner: options.owner, env: env, key: key, { try flow.run() }) { throw ExitCode(status) }
    }
}
