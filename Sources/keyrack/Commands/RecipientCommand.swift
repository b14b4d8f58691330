import ArgumentParser

/// `keyrack recipient …`: the backup recipients of one owner. Any recipient opens the manifest.
struct RecipientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipient",
        abstract: "Manage the recipients (primary and backups) an owner's manifest is encrypted to.",
        subcommands: [RecipientAddCommand.self, RecipientListCommand.self, RecipientRemoveCommand.self])
}
