import KeyrackApp
import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import SecretBytes
import KeyrackClient

/// `keyrack inject`: fills `{{ keyrack://ORG.ENV.KEY }}` placeholders of a template with the
/// owner's granted values, as `op inject` does, for config files a program reads from disk. All
/// or nothing: one placeholder not granted and nothing is written (exit 3).
struct InjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inject",
        abstract: "Fill {{ keyrack://ORG.ENV.KEY }} placeholders of a template with unlocked keys.",
        discussion: """
        Example: keyrack inject -i config.yml.tpl -o config.yml. The output file is created with \\
        mode 0600 (it holds secrets) and replaced whole, never left half written; an existing \\
        one is replaced only with --force. Without -o the result goes to stdout. Other {{ … }} \\
        are left as they are.
        """
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
        var bytes: [UInt8]
        if let input {
            guard let read = try FileSystem.read(URL(fileURLWithPath: input)) else { throw UsageError("template '\(input)' does not exist") }
            bytes = read
        } else {
            bytes = SecretPrompt.readAllOfStdin(keepingNewline: true)
        }
        defer { zeroize(&bytes) }
        var result: [UInt8]
        let filled: Int
        (result, filled) = try Inject.render(bytes, path: input ?? "stdin", owner: options.owner, allowDangerous: allowDangerous)
        defer { zeroize(&result) }
        if let output {
            try FileSystem.writeAtomically(result, to: URL(fileURLWithPath: output), mode: 0o600)
            if options.json {
                JSONLine.print(InjectJSON(output: output, placeholders: filled))
            } else {
                Terminal.printError("keyrack inject: wrote \(output) (mode 0600, \(filled) placeholder(s) filled)")
            }
        } else {
            Output.write(result)
        }
    }
}
