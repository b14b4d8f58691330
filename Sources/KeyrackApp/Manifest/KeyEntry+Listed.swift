import KeyrackCore

extension KeyEntry {
    /// Where `list` and `set` say a key's value lives: its vault, or for openbao the reference
    /// (`openbao:secret/robots/seaturtle#token @ ADDR`). Never a value.
    public var listedSource: String {
        guard vault == .openBao, let exid, let ref = try? OpenBaoReference(parsing: exid) else { return vault.rawValue }
        return ref.display + (addr.map { " @ \($0)" } ?? "")
    }
}

extension KeyListJSON {
    /// `list --json` of these entries, each with its listed source.
    public init(owner: OwnerName, entries: [KeyEntry]) {
        self.init(owner: owner.value, keys: entries.map { KeyEntryJSON($0, source: $0.listedSource) })
    }
}
