#if canImport(Glibc)
import Glibc
#endif
import AgePlugin
import KeyrackClient
import KeyrackDaemon

// `age-plugin-keyrack`: the age plugin (C2SP age-plugin.md, identity side) through which any
// age client (age, rage/pyrage, sops, passage) decrypts with an owner's keyrack identity.
// An age client runs it as `age-plugin-keyrack --age-plugin=identity-v1` when given an
// `AGE-PLUGIN-KEYRACK-1…` identity (`keyrack identity --for OWNER` prints one) and talks on
// stdin/stdout; the keys themselves stay with the owner's daemon.

Hardening.apply()
let arguments = Array(CommandLine.arguments.dropFirst())
let invokedAs = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""

/// Runs one state machine on stdin/stdout and exits: 0 when it ran to `done`, 1 otherwise.
/// What the client sends is capped as it is read at the daemon's frame cap: a request the
/// daemon would refuse is not buffered whole first.
func serve(as name: String, _ body: (PluginReader, PluginWriter) throws -> Void) -> Never {
    do {
        try body(PluginReader(fd: 0, budget: Frame.maximumBodySize), PluginWriter(fd: 1))
        Terminal.exit(ExitStatus.ok)
    } catch {
        Terminal.printError("\(name): \(error)")
        Terminal.exit(ExitStatus.failure)
    }
}

// Installed (symlinked) as `age-plugin-tag`: the recipient side of C2SP's age1tag1… for age
// clients that predate age 1.3. See TagRecipientHandler.
if invokedAs == "age-plugin-tag" {
    guard arguments.first == "--age-plugin=recipient-v1" else {
        Terminal.printError("age-plugin-tag (keyrack): only recipient-v1 is supported; decrypt p256tag files with `keyrack identity` and age-plugin-keyrack")
        Terminal.exit(ExitStatus.usage)
    }
    serve(as: "age-plugin-tag (keyrack)") { try RecipientV1.serve(reader: $0, writer: $1, handler: TagRecipientHandler()) }
}

// Installed (symlinked) as `age-plugin-tpm`: the identity side for AGE-PLUGIN-TPM-1… lines (a
// keyrack TPM owner's identity file, or age-plugin-tpm's), the ECDH on this machine's TPM.
if invokedAs == "age-plugin-tpm" {
    guard arguments.first == "--age-plugin=identity-v1" else {
        Terminal.printError("age-plugin-tpm (keyrack): only identity-v1 is supported; encrypt to the age1tag1… recipient (age ≥ 1.3, or age-plugin-tag)")
        Terminal.exit(ExitStatus.usage)
    }
    serve(as: "age-plugin-tpm (keyrack)") { try IdentityV1.serve(reader: $0, writer: $1, handler: TPMIdentityHandler()) }
}

switch arguments.first {
case "--age-plugin=identity-v1":
    serve(as: "age-plugin-keyrack") { try IdentityV1.serve(reader: $0, writer: $1, handler: KeyrackIdentityHandler()) }
case "--age-plugin=recipient-v1"?:
    // `age -e -i <keyrack identity>`: speak the protocol so the client shows why, in one line.
    serve(as: "age-plugin-keyrack") { try RecipientV1.serve(reader: $0, writer: $1, handler: NoRecipientSide()) }
case let flag? where flag.hasPrefix("--age-plugin="):
    Terminal.printError("age-plugin-keyrack: state machine '\(flag.dropFirst("--age-plugin=".count).prefix(40))' is not supported (identity-v1 decrypts; to encrypt, use the owner's recipients (`keyrack identity --for OWNER --recipient`))")
    Terminal.exit(ExitStatus.usage)
case "--version"?:
    Output.line("age-plugin-keyrack 0.1.0")
    Terminal.exit(ExitStatus.ok)
default:
    Output.line("""
    age-plugin-keyrack: the age plugin through which age clients decrypt with a keyrack owner's identity.

    Usage: run by age clients as `age-plugin-keyrack --age-plugin=identity-v1`, never by hand.
      1. keyrack unlock --for OWNER --identity-agent        (hold the owner's identities for a while)
      2. keyrack identity --for OWNER > identity.txt         (names the owner; holds no secret)
      3. age -d -i identity.txt FILE.age                     (or SOPS_AGE_KEY_FILE=identity.txt sops -d …)
    """)
    Terminal.exit(arguments.isEmpty || arguments.first == "--help" || arguments.first == "-h" ? ExitStatus.ok : ExitStatus.usage)
}
