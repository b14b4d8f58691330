import KeyrackApp

/// `fill`'s text: per key, whether every owner had it or who got it; or that the repository
/// file lists nothing for the env.
extension FillOwners.Outcome {
    public func line(slug: String) -> String {
        switch self {
        case .found: "\(slug): every owner has it"
        case .filled(let who): "\(slug): set for \(who.joined(separator: ", ")) and read back"
        }
    }

    public static func nothingListed(file: String?, env: String) -> String {
        "keyrack fill: \(file ?? ".agent/keyrack.yml") lists no key for env \(env)"
    }
}
