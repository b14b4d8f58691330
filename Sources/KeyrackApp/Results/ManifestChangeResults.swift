import KeyrackCore

// What the commands that change a manifest answer with `--json` (printed by JSONLine).

/// What `set`/`del` did to the repository's .agent/keyrack.yml; nil (null) when nothing.
public struct RepoFileChangeJSON: Encodable, Equatable {
    public var effect: String
    public var path: String
    public var section: String

    public init?(_ change: RepoFileEntries.Change) {
        switch change {
        case .added(let path, let section): (effect, self.path, self.section) = ("added", path, section)
        case .removed(let path, let section): (effect, self.path, self.section) = ("removed", path, section)
        case .unchanged: return nil
        }
    }
}

/// `set --json`: the key as `list --json` shows it, then what happened.
public struct SetJSON: Encodable {
    public var entry: KeyEntryJSON
    public var owner: String
    /// created or updated.
    public var effect: String
    public var repoFile: RepoFileChangeJSON?

    public init(entry: KeyEntryJSON, owner: String, effect: String, repoFile: RepoFileEntries.Change) {
        self.entry = entry
        self.owner = owner
        self.effect = effect
        self.repoFile = RepoFileChangeJSON(repoFile)
    }

    private enum Field: String, CodingKey { case owner, effect, repoFile }

    /// One object: the entry's fields, then these.
    public func encode(to encoder: any Encoder) throws {
        try entry.encode(to: encoder)
        var c = encoder.container(keyedBy: Field.self)
        try c.encode(owner, forKey: .owner)
        try c.encode(effect, forKey: .effect)
        try c.encodeIfPresent(repoFile, forKey: .repoFile)
    }
}

/// `del --json`: removed or absent.
public struct DelJSON: Encodable, Equatable {
    public var owner: String
    public var slug: String
    public var effect: String
    public var repoFile: RepoFileChangeJSON?

    public init(owner: String, slug: String, removed: Bool, repoFile: RepoFileEntries.Change) {
        self.owner = owner
        self.slug = slug
        effect = removed ? "removed" : "absent"
        self.repoFile = RepoFileChangeJSON(repoFile)
    }
}

/// `recipient add --json`.
public struct RecipientAddJSON: Encodable, Equatable {
    public var owner: String
    public var label: String
    public var via: String
    public var pubkey: String
    public var addedAt: String
    public var identity: String?

    public init(owner: String, added: BackupRecipient, identity: String?) {
        self.owner = owner
        label = added.label.value
        via = added.via.rawValue
        pubkey = added.pubkey
        addedAt = added.addedAt
        self.identity = identity
    }
}

/// `recipient remove --json`: the recipient removed, and the one promoted to primary if any.
public struct RecipientRemoveJSON: Encodable, Equatable {
    public var owner: String
    public var removed: String
    public var promoted: String?

    public init(owner: String, removed: String, promoted: String?) {
        self.owner = owner
        self.removed = removed
        self.promoted = promoted
    }
}
