import ArgumentParser
import KeyrackClient
import KeyrackCore
import KeyrackNames

/// Options every owner-scoped command shares: which owner, and machine-readable output.
struct OwnerOptions: ParsableArguments {
    @Option(name: [.customLong("for"), .customLong("owner")], help: ArgumentHelp(
        "The owner whose keys to use: `human` or a robot name.",
        valueName: "owner"))
    var owner: String = "human"

    @Flag(help: "Print machine-readable JSON instead of human text.")
    var json = false

    mutating func validate() throws {
        // The owner becomes part of file and socket names: one rule, KeyrackNames', everywhere.
        guard NameRules.isValidOwner(owner) else { throw ValidationError(NameRules.invalidOwnerMessage(owner)) }
    }

    /// The owner, typed.
    func ownerName() throws -> OwnerName { try OwnerName(owner) }

    /// A command's answer, one shape for all: with --json the value on one line (JSONLine),
    /// else the text `text` prints.
    func answer<Value: Encodable>(_ value: @autoclosure () -> Value, text: () throws -> Void) rethrows {
        if json { JSONLine.print(value()) } else { try text() }
    }
}
