import KeyrackApp

/// migrate's remedies in keyrack's own options and commands.
extension MigrationError.Remedy {
    public var cliText: String {
        switch self {
        case .giveTheKeyThatOpensIt: "pass the private key that opens it with --identity PATH"
        case .restoreFromBackup: "restore the file from a backup, then run keyrack migrate again"
        case .replaceOrAddTheMissingKeys:
            "to start over from the old manifest, run it again with --replace (the keyrack manifest is renamed, not deleted); to keep it, add the missing keys with `keyrack set`"
        case .giveTheOwnersKey: "pass the owner's private key with --identity PATH"
        case .renameTheFile: words
        }
    }
}
