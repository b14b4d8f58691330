/// An owner's OpenBao set-up that cannot serve this unlock, found before anything is sent (no
/// address, no login, a login slot that is no slot, a dynamic secret with no lease role, a card
/// slot with no certificate). The problem in words; the remedy typed, in terms of what to
/// configure: the CLI words it in `set` and `set-default`'s options (OpenBaoError+Text).
public struct OpenBaoSetupError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Remedy: Equatable, Sendable {
        /// Give the key, or the owner, an OpenBao address (or export BAO_ADDR).
        case giveAddress
        /// Log in with the bao CLI (or export BAO_TOKEN), or configure a cert or AppRole login.
        case logIn
        /// Name the two os.secure keys an AppRole login reads.
        case nameAppRoleKeys
        /// Store the AppRole key the login reads in os.secure.
        case storeAppRoleKey
        /// Choose a login slot: 9a (or 9c, `signature`: a card-signed JWT) or a retired slot.
        case chooseLoginSlot(signature: Bool)
        /// Give the owner the token role its dynamic secrets are leased under.
        case setLeaseRole
        /// Make the owner's login the GitHub Actions ID token.
        case useGitHubOIDCLogin
        /// Put a certificate in the card's slot.
        case makeCertificate(slot: String)

        /// The remedy in plain words, naming no command or option of a program.
        public var words: String {
            switch self {
            case .giveAddress: "give the key or its owner an OpenBao address, or export BAO_ADDR"
            case .logIn: "log in with the bao CLI or export BAO_TOKEN, or configure a cert or AppRole login"
            case .nameAppRoleKeys: "name the role_id and secret_id keys of the owner's AppRole login"
            case .storeAppRoleKey: "store it in os.secure"
            case .chooseLoginSlot(let signature): signature ? "use 9a, 9c or a retired slot 82–95" : "use 9a or a retired slot 82–95"
            case .setLeaseRole: "give the owner a lease token role (docs/openbao.md)"
            case .useGitHubOIDCLogin: "make the owner's login the GitHub Actions ID token (jwt, source github, a role)"
            case .makeCertificate: "put a certificate in the slot"
            }
        }
    }

    /// How the CLI exits: bad configuration (2), the server's or the login's no (3), the card (1).
    public enum Kind: Equatable, Sendable { case usage, notGranted, failure }

    public var kind: Kind
    public var problem: String
    public var remedy: Remedy
    /// The owner whose settings the remedy changes.
    public var owner: String

    public init(_ kind: Kind, _ problem: String, remedy: Remedy, owner: String) {
        (self.kind, self.problem, self.remedy, self.owner) = (kind, problem, remedy, owner)
    }

    public var description: String { "\(problem): \(remedy.words)" }
}
