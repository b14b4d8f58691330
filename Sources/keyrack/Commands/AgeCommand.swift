import ArgumentParser

/// `keyrack age …`: age-compatible encrypt/decrypt/keygen, for recovery and inspection.
struct AgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "age",
        abstract: "Encrypt, decrypt and make keys in the age v1 format (compatible with age).",
        subcommands: [AgeEncryptCommand.self, AgeDecryptCommand.self, AgeKeygenCommand.self]
    )
}
