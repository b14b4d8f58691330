import KeyrackApp
import KeyrackCore

/// `set` and `del`: what changed in the owner's manifest (the repository file's line is
/// RepoFileChange+Text), and the warning for a value that looks long-lived.
extension KeyChange.SetResult {
    public func line(owner: OwnerName) -> String {
        "keyrack set: \(outcome.rawValue) \(entry.slug) for owner \(owner) (vault \(entry.vault.rawValue), mech \(entry.mech.rawValue))"
    }

    /// On stderr, when the value looks like a long-lived token.
    public var longLivedWarning: String? {
        longLivedToken.map { token in
            "warning: \(entry.slug) looks like \(token.what) (\(token.prefix)…): get, exec and source will refuse to hand it out without --allow-dangerous; store a short-lived credential instead"
        }
    }
}

extension KeyChange.DeleteResult {
    public func line(owner: OwnerName) -> String {
        removed ? "keyrack del: removed \(slug) from owner \(owner)" : "keyrack del: \(slug) was not set for owner \(owner) (already absent)"
    }
}
