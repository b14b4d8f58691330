import KeyrackCore
import KeyrackNames

extension KeyEntry {
    /// Where the key's value lives, as `list` shows it: the vault, or for openbao its reference
    /// (`openbao:secret/robots/seaturtle#token @ ADDR`); never a value.
    public var source: String {
        guard vault == .openBao, let exid, let ref = try? OpenBaoReference(parsing: exid) else { return vault.rawValue }
        return ref.display + (addr.map { " @ \($0)" } ?? "")
    }
}
