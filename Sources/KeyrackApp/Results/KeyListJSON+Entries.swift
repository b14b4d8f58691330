import KeyrackCore

extension KeyListJSON {
    /// `list --json` of these entries, each with its source (KeyEntry.source).
    public init(owner: OwnerName, entries: [KeyEntry]) {
        self.init(owner: owner.value, keys: entries.map { KeyEntryJSON($0, source: $0.source) })
    }
}
