/// Why one TypeScript manifest could not be migrated. `problem` and `fix` apart, so the CLI
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

    public var fix: String {
        switch self {
        case .undecryptable: "pass the private key that opens it with --identity PATH"
        case .damaged, .invalidJSON: "restore the file from a backup, then run keyrack migrate again"
        case .ownerExists: "to start over from the old manifest, run it again with --replace (the keyrack manifest is renamed, not deleted); to keep it, add the missing keys with `keyrack set`"
        case .noPrimary: "pass the owner's private key with --identity PATH"
        case .badOwner: "rename keyrack.host.<owner>.age to a name of a-z, 0-9, '-', '_' and '.', then migrate"
        }
    }

    public var description: String { "\(problem): \(fix)" }
}
