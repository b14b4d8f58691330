import AgeFormat

/// What may open an owner's manifest, and the one rule every command tries it by (docs/yubikey.md,
/// "Recovery with a backup recipient"): identities the user names (`--identity`,
/// KEYRACK_IDENTITY) are tried together; otherwise the owner's recipients whose identity is on
/// this machine are tried one at a time, primary first, then backups as recorded. A card that is
/// absent or an identity that does not match moves on to the next; a card that is here but
/// refuses (wrong PIN, touch timeout, pulled out mid-operation) ends the attempt, because the
/// person asked for that card and a passphrase prompt next would read as a retry. When none
/// opens the manifest, the first one's error is the one reported.
public struct ManifestIdentities: ExpressibleByArrayLiteral {
    /// One thing to try: its name for the output (`primary (yubikey)`) and how to make it. Made
    /// only when first tried, so a backup's passphrase or card is never asked for when the
    /// primary works; then kept, so an ssh key decrypted once is not asked for again.
    public final class Candidate {
        public let name: String
        public let isBackup: Bool
        private let make: () throws -> any Identity
        private var made: (any Identity)?

        init(name: String, isBackup: Bool, make: @escaping () throws -> any Identity) {
            self.name = name
            self.isBackup = isBackup
            self.make = make
        }

        func identity() throws -> any Identity {
            if let made { return made }
            let identity = try make()
            made = identity
            return identity
        }
    }

    public let candidates: [Candidate]

    init(candidates: [Candidate]) { self.candidates = candidates }

    /// Identities at hand, tried together as one (an identity file may hold several keys).
    public init(given identities: [any Identity], name: String = "given identities") {
        candidates = [Candidate(name: name, isBackup: false, make: { MultiIdentity(identities) })]
    }

    public init(arrayLiteral identities: any Identity...) { self.init(given: identities) }

    /// The owner's recorded recipients, in the order `locations` has them (primary first).
    init(recorded locations: [RecipientLocation], interaction: Interaction) {
        candidates = locations.map { location in
            Candidate(name: "\(location.label) (\(location.via.rawValue)\(location.identityPath.map { ", \($0)" } ?? ""))",
                      isBackup: location.label != RecipientLabel.primary,
                      make: { try RecipientBackends.backend(for: location.via).identity(for: location, interaction: interaction) })
        }
    }

    /// Runs `attempt` with each candidate in turn until one succeeds, by the rule above.
    func first<T>(_ attempt: (any Identity) throws -> T) throws -> (T, Candidate) {
        var firstError: Error?
        for candidate in candidates {
            do {
                return (try attempt(try candidate.identity()), candidate)
            } catch let error as KeyrackError where error.kind == .card && !error.isCardAbsent {
                throw error
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        throw firstError ?? KeyrackError(.wrongIdentity, "no identity was given to open the manifest")
    }
}

/// A manifest and the candidate that opened it.
public struct OpenedManifest {
    public let manifest: HostManifest
    public let openedBy: ManifestIdentities.Candidate
}
