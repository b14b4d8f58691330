import KeyrackApp
import KeyrackClient
import KeyrackNames

/// `init`'s problems and notes in keyrack's own options and commands: the app layer says what,
/// the CLI how to type it.
extension InitRequest.Choice {
    public var flag: String {
        switch self {
        case .postQuantum: "--pq"
        case .identity: "--identity"
        case .serial: "--serial"
        case .slot: "--slot"
        case .touchPolicy: "--touch-policy"
        case .recipientType: "--recipient-type"
        case .algorithm: "--algorithm"
        case .pinPolicy: "--pin-policy"
        case .pinFromStdin: "--pin-stdin"
        }
    }
}

extension InitRequest.Problem: CLIReportable {
    public var line: ErrorLine {
        switch self {
        case .onlyFor(let choices, let vias):
            let flags = choices.map(\.flag), to = vias.map { "--via \($0.rawValue)" }.joined(separator: " and ")
            let named = flags.count == 1 ? flags[0] : flags.dropLast().joined(separator: ", ") + " and " + flags.last!
            return "\(named) only appl\(flags.count == 1 ? "ies" : "y") to \(to)"
        case .recipientAndIdentity: return "give --pubkey or --identity, not both"
        case .alwaysOnTPM: return "--pin-policy always is a YubiKey policy: a TPM key has a PIN (once: asked once per unlock) or none (never)"
        case .recipientTypeOfX25519: return "--recipient-type names a form of a P-256 key; an --algorithm x25519 owner's recipient is a plain age1…"
        case .slotNotRetired(let slot): return "--slot \(slot) is not a retired slot: owners' keys live in 82–95"
        case .unknownUser(let user): return "unknown user '\(user)' for --uid: give an existing user name or a numeric uid"
        case .invalidOrg(let org): return ErrorLine(text: NameRules.invalidOrgMessage(org), fix: nil)
        case .noUsableSSHKey(let directory, let names, let card):
            let plugged = card.map { " (a YubiKey, serial \($0), is plugged in)" } ?? ""
            return "no usable ssh key in \(directory) (looked for \(names.joined(separator: ", "))): make one with `ssh-keygen -t ed25519`, pass --pubkey, or run `keyrack init --via yubikey`\(plugged) or `keyrack init --via age`"
        }
    }

    public var cliMessage: String { "error: \(line.text)" }
    public var exitCode: Int32 { ExitStatus.usage }
    public var fixCommand: String? { line.fix }
}
