import ArgumentParser
import KeyrackHelp
import Foundation
import KeyrackApp
import KeyrackCore
import SecretBytes
import KeyrackClient
import KeyrackPresentation

/// `keyrack inject`: fills `{{ keyrack://ORG.ENV.KEY }}` placeholders of a template with the
/// owner's granted values, as `op inject` does, for config files a program reads from disk. All
/// or nothing: one placeholder not granted and nothing is written (exit 3).
struct InjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Fill {{ keyrack://ORG.ENV.KEY }} placeholders of a template with unlocked keys.",
        discussion: Help.inject
    )

    @OptionGroup var options: OwnerOptions

    @Option(name: [.customShort("i"), .customLong("in-file")], help: ArgumentHelp("The template to read (default: stdin).", valueName: "path"))
    var input: String?

    @Option(name: [.customShort("o"), .customLong("out-file")], help: ArgumentHelp("Write the result here, mode 0600, instead of stdout.", valueName: "path"))
    var output: String?

    @Flag(name: [.customShort("f"), .customLong("force")], help: "Replace the -o file when it exists.")
    var force = false

    @Flag(help: "Hand out values that look like long-lived tokens (ghp_, gho_, ghu_, ghr_, AKIA).")
    var allowDangerous = false

    func validate() throws {
        if let output, !force, FileSystem.exists(URL(fileURLWithPath: output)) {
            throw ValidationError("'\(output)' exists: pass --force to replace it")
        }
    }

    func run() throws {
        var result = try Inject.run(input: input, output: output, owner: options.owner, allowDangerous: allowDangerous)
        if result.stdout != nil {
            defer { zeroize(&result.stdout!) }
            Output.write(result.stdout!)
        } else if let output {
            options.answer(InjectJSON(output: output, placeholders: result.placeholders)) {
                Terminal.printError(result.wroteLine(output))
            }
        }
    }
}
