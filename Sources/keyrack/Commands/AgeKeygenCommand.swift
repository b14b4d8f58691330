import ArgumentParser
import AgeFormat
import Foundation
#if canImport(Glibc)
import Glibc
import KeyrackClient
#endif

/// `keyrack age keygen`: the `age-keygen` of keyrack.
struct AgeKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate an age identity (as `age-keygen`), or print the recipients of one (-y).",
        discussion: """
        Writes the identity file (mode 0600) to -o, never overwriting an existing file, or to \
        stdout, and prints the public key on stderr.
        """
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
        if convert { return try printRecipients() }
        let (secret, publicKey): (String, String)
        if postQuantum {
            let identity = MLKEM768X25519Identity.generate()
            (secret, publicKey) = (identity.string, identity.recipient.string)
        } else {
            let identity = X25519Identity.generate()
            (secret, publicKey) = (identity.string, identity.recipient.string)
        }
        let created = ISO8601DateFormatter().string(from: Date())
        let text = "# created: \(created)\n# public key: \(publicKey)\n\(secret)\n"

        if let output, output != "-" {
            let fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                let why = errno == EEXIST ? "it already exists (keygen never overwrites a key)" : String(cString: strerror(errno))
                throw CommandFailure("cannot create '\(output)': \(why)")
            }
            defer { close(fd) }
            do { try FileDescriptorSink(fd: fd).write(Array(text.utf8)) } catch {
                unlink(output)
                throw error
            }
        } else {
            try FileDescriptorSink(fd: STDOUT_FILENO).write(Array(text.utf8))
        }
        if output != nil || isatty(STDOUT_FILENO) == 0 {
            Terminal.printError("Public key: \(publicKey)")
        }
    }

    private func printRecipients() throws {
        let bytes = try AgeInput.readKeyFile(input ?? "-", what: "identity")
        let identities = try KeyParsing.identities(fileContents: bytes, path: input ?? "stdin", passphrase: AgeEncryptCommand.ask)
        var lines = ""
        for identity in identities {
            guard let convertible = identity as? any RecipientConvertible else {
                throw CommandFailure("this identity kind has no derivable recipient")
            }
            lines += "\(convertible.anyRecipient)\n"
        }
        let target = AgeOutput(path: output)
        try target.run { try target.sink().write(Array(lines.utf8)) }
    }
}
