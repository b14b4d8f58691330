/// Why one TypeScript manifest could not be migrated. `problem` and `remedy` apart, so the CLI
/// renders text and JSON from one value. Each concerns one owner: the others still migrate.
public enum MigrationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No identity tried opens the file.
    case undecryptable(path: String, tried: [String])
    /// It opens but is not age, or not the TypeScript JSON.
    case damaged(path: String, why: String)
    case invalidJSON(what: String)
    /// The owner already has a keyrack manifest; migrate never overwrites one.
    case ownerExists(owner: String, manifest: String)
    /// No identity of the owner can be recorded as the new manifest's primary.
    case noPrimary(owner: String)
    /// The TypeScript owner name is not a keyrack owner name.
    case badOwner(String)

    public var problem: String {
        switch self {
        case .undecryptable(let path, let tried):
            "cannot decrypt \(path): none of the identities tried opens it (\(tried.isEmpty ? "none found" : tried.joined(separator: ", ")))"
        case .damaged(let path, let why): "\(path) is damaged: \(why)"
        case .invalidJSON(let what): "not the TypeScript keyrack's manifest JSON: \(what)"
        case .ownerExists(let owner, let manifest): "owner \(owner) already has a keyrack manifest (\(manifest)); it was left as it is"
        case .noPrimary(let owner): "no ssh or age key of owner \(owner) that opened the old manifest can be its new primary"
        case .badOwner(let name): "the TypeScript owner '\(name.prefix(40))' is not a valid keyrack owner name"
        }
    }

    /// What to do, in terms of the migration rather than a program's options (the CLI words it).
    public enum Remedy: Equatable, Sendable {
        /// Give the private key that opens the file.
        case giveTheKeyThatOpensIt
        /// Restore the file from a backup, then migrate again.
        case restoreFromBackup
        /// Migrate again replacing the keyrack manifest (renamed, not deleted), or keep it and add the missing keys.
        case replaceOrAddTheMissingKeys
        /// Give the owner's private key.
        case giveTheOwnersKey
        /// Rename the TypeScript file to a valid owner name.
        case renameTheFile

        public var words: String {
            switch self {
            case .giveTheKeyThatOpensIt: "give the private key that opens it"
            case .restoreFromBackup: "restore the file from a backup, then migrate again"
            case .replaceOrAddTheMissingKeys: "to start over from the old manifest, migrate again replacing the keyrack manifest (renamed, not deleted); to keep it, add the missing keys"
            case .giveTheOwnersKey: "give the owner's private key"
            case .renameTheFile: "rename keyrack.host.<owner>.age to a name of a-z, 0-9, '-', '_' and '.', then migrate"
            }
        }
    }

    public var remedy: Remedy {
        switch self {
        case .undecryptable: .giveTheKeyThatOpensIt
        case .damaged, .invalidJSON: .restoreFromBackup
        case .ownerExists: .replaceOrAddTheMissingKeys
        case .noPrimary: .giveTheOwnersKey
        case .badOwner: .renameTheFile
        }
    }

    public var description: String { "\(problem): \(remedy.words)" }
}
