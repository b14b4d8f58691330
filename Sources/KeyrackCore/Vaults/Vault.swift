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
    /// A 1Password secret reference (`op://VAULT/ITEM/FIELD`, `VAULT/ITEM/FIELD` or `VAULT/ITEM`),
    /// read with `op` at unlock (OnePassword.swift).
    case onePassword = "1password"
    /// A KV secret in an OpenBao / Vault cluster (`MOUNT/PATH#FIELD`), read over its HTTP API at unlock.
    case openBao = "openbao"
    /// An SSM Parameter Store SecureString, read with the AWS CLI at unlock (AWSParameterStore.swift).
    case awsParams = "aws.params"
    /// An AWS profile whose temporary credentials the AWS CLI exports at unlock (AWSProfileCredentials.swift).
    case awsConfig = "aws.config"

    public init(parsing text: String) throws {
        guard let vault = Vault(rawValue: text) else {
            let names = Vault.allCases.map(\.rawValue).joined(separator: ", ")
            throw KeyrackError.usage("invalid vault '\(text.prefix(40))': use one of \(names)")
        }
        self = vault
    }

    /// Whether `set` reads a value from the user for this vault.
    public var takesValueAtSet: Bool { self == .osSecure || self == .osDirect }

    /// Whether the key names a place in an external store with `--exid`.
    public var takesExid: Bool { self == .onePassword || self == .openBao || self == .awsParams || self == .awsConfig }

    /// The mechanism a key gets when `--mech` is not given.
    public var defaultMechanism: Mechanism {
        switch self {
        case .osSecure, .osDirect, .osEnvvar: return .permanentViaReplica
        case .osDaemon: return .ephemeralViaSession
        case .onePassword, .openBao, .awsParams: return .permanentViaReference
        case .awsConfig: return .ephemeralViaAwsSso
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
    /// An openbao dynamic secret (database/creds/ROLE…): read with an orphan lease token at
    /// unlock, granted for its lease, the lease token revoked when the grant ends (OpenBaoLease).
    case ephemeralViaOpenBaoLease = "EPHEMERAL_VIA_OPENBAO_LEASE"

    public init(parsing text: String) throws {
        guard let mech = Mechanism(rawValue: text) else {
            let names = Mechanism.allCases.map(\.rawValue).joined(separator: ", ")
            throw KeyrackError.usage("invalid mech '\(text.prefix(40))': use one of \(names)")
        }
        self = mech
    }
}
