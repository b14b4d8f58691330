import AgeFormat
import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackClient
import KeyrackPresentation
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack age keygen`: the `age-keygen` of keyrack.
struct AgeKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an age identity (as `age-keygen`), or print the recipients of one (-y).",
        discussion: Help.ageKeygen
    )

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
        "Write the identity to this new file (mode 0600) instead of stdout.", valueName: "path"))
    var output: String?

    @Flag(name: .customLong("pq"), help: "Generate a post-quantum hybrid identity (mlkem768x25519, AGE-SECRET-KEY-PQ-1…).")
    var postQuantum = false

    @Flag(name: .customShort("y"), help: "Read an identity file (INPUT or stdin) and print its recipients instead.")
    var convert = false

    @Argument(help: ArgumentHelp("With -y: the identity file (default: stdin).", valueName: "input"))
    var input: String?

    func validate() throws {
        if input != nil, !convert { throw ValidationError("an input file is only accepted with -y") }
        if convert, postQuantum { throw ValidationError("--pq cannot be combined with -y") }
    }

    func run() throws {
        if convert {
            let lines = try AgeKeygen.recipientLines(identityFile: input, terminal: AgeCLI.terminal)
            let target = AgeCLI.output(output)
            return try target.run { try target.sink().write(Array(lines.utf8)) }
        }
        let key = AgeKeygen.generate(postQuantum: postQuantum)
        if let output, output != "-" {
            try AgeKeygen.write(key, toNewFile: output)
        } else {
            try FileDescriptorSink(fd: STDOUT_FILENO).write(Array(key.fileText.utf8))
        }
        if output != nil || isatty(STDOUT_FILENO) == 0 {
            Terminal.printError(key.publicKeyLine)
        }
    }
}
