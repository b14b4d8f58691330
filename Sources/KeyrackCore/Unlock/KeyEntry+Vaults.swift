extension Array where Element == KeyEntry {
    /// Whether an entry's vault is one of `vaults`, each entry read in place: `contains(where:)`
    /// copied every entry it looked at (its references retained and released again), which an
    /// unlock paid twice for 10 000 keys to learn that none was os.direct or OpenBao's.
    public func containsVault(_ vaults: Vault...) -> Bool {
        withUnsafeBufferPointer { entries in
            for i in entries.indices where vaults.contains(entries[i].vault) { return true }
            return false
        }
    }
}
