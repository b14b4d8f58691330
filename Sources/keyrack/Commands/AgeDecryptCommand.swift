import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackPresentation

/// `keyrack age decrypt`: the `age -d` of keyrack, with age's flags.
struct AgeDecryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt an age file, armored or binary (as `age -d`).",
        discussion: Help.ageDecrypt
    )

    @Option(name: [.customShort("i"), .customLong("identity")], help: ArgumentHelp(
        "Use the identities in this file (age keys, ssh private keys). Repeatable.", valueName: "path"))
    var identityFiles: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write the plaintext to this file instead of stdout (removed again if decryption fails).", valueName: "path"))
    var output: String?

    @Argument(help: ArgumentHelp("The file to decrypt (default: stdin).", valueName: "input"))
    var input: String?

    func run() throws {
        try AgeDecryption.run(identityFiles: identityFiles, input: input, output: AgeCLI.output(output), terminal: AgeCLI.terminal)
    }
}
