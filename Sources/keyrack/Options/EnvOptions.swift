import ArgumentParser
import KeyrackNames

/// `--env ENV` of the commands that hand out an env's keys, under KeyrackNames' one env rule.
struct EnvOption: ParsableArguments {
    @Option(help: ArgumentHelp("The env whose keys to use (sudo, prod, prep, test, all, or custom).", valueName: "env"))
    var env: String

    func validate() throws {
        guard NameRules.isValidEnv(env) else { throw ValidationError("invalid --env '\(env.prefix(40))'") }
    }
}

/// `--key K …`: which of the env's keys to hand out.
struct KeysOption: ParsableArguments {
    @Option(name: .customLong("key"), help: ArgumentHelp(
        "A key of the env to hand out (repeatable). Default: the keys .agent/keyrack.yml lists for the env, or outside a repository every unlocked key of it.",
        valueName: "key"))
    var keys: [String] = []
}

/// `--env ENV` of the commands that narrow to one env's keys (status, relock).
struct EnvFilterOption: ParsableArguments {
    @Option(help: ArgumentHelp("Only the keys of this env.", valueName: "env"))
    var env: String?

    func validate() throws {
        if let env, !NameRules.isValidEnv(env) { throw ValidationError("invalid --env '\(env.prefix(40))'") }
    }
}
