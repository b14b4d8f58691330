/// Where a key's secret lives (docs/formats.md, "Host manifest"). The manifest records the vault; only `os.secure`
/// and `os.direct` hold a value on this machine, the others say where to fetch it at unlock.
public enum Vault: String, CaseIterable, Sendable {
    /// Inside the encrypted host manifest, in `secrets:`.
    case osSecure = "os.secure"
    /// A plaintext file `direct/<owner>.yml` (0600): for non-secret configuration.
    case osDirect = "os.direct"
    /// The caller's environment variable of the key's name, read at unlock.
    case osEnvvar = "os.envvar"
    /// Only ever in the owner's daemon memory; nothing on disk.
    case osDaemon = "os.daemon"
    /// A 1Password secret reference (`op://vault/item/field`), read with `op read` at unlock.
    case onePassword = "1password"

    public init(parsing text: String) throws {
        guard let vault = Vault(rawValue: text) else {
            let names = Vault.allCases.map(\.rawValue).joined(separator: ", ")
            throw KeyrackError.usage("invalid vault '\(text.prefix(40))': use one of \(names)")
        }
        self = vault
    }

    /// Whether `set` reads a value from the user for this vault.
    public var takesValueAtSet: Bool { self == .osSecure || self == .osDirect }

    /// The mechanism a key gets when `--mech` is not given.
    public var defaultMechanism: Mechanism {
        switch self {
        case .osSecure, .osDirect, .osEnvvar: return .permanentViaReplica
        case .osDaemon: return .ephemeralViaSession
        case .onePassword: return .permanentViaReference
        }
    }
}

/// How a stored source becomes a usable secret (the names are the TypeScript keyrack's, so
/// manifests and habits carry over).
public enum Mechanism: String, CaseIterable, Sendable {
    case permanentViaReplica = "PERMANENT_VIA_REPLICA"
    case permanentViaReference = "PERMANENT_VIA_REFERENCE"
    case ephemeralViaSession = "EPHEMERAL_VIA_SESSION"
    case ephemeralViaGithubApp = "EPHEMERAL_VIA_GITHUB_APP"
    case ephemeralViaAwsSso = "EPHEMERAL_VIA_AWS_SSO"
    case ephemeralViaGithubOidc = "EPHEMERAL_VIA_GITHUB_OIDC"

    public init(parsing text: String) throws {
        guard let mech = Mechanism(rawValue: text) else {
            let names = Mechanism.allCases.map(\.rawValue).joined(separator: ", ")
            throw KeyrackError.usage("invalid mech '\(text.prefix(40))': use one of \(names)")
        }
        self = mech
    }
}
