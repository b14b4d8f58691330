import KeyrackClient
import KeyrackDaemon

// What `unlock`, `identity` and `inject` answer with `--json` (printed by JSONLine).

/// `unlock --json`: the keys handed to the daemon, and those left out with why.
public struct UnlockJSON: Encodable, Equatable {
    public struct Unlocked: Encodable, Equatable {
        public var slug: String
        public var expiresAt: String
    }

    public struct Omitted: Encodable, Equatable {
        public var slug: String
        public var reason: String
    }

    public var owner: String
    public var recipient: String
    public var unlocked: [Unlocked]
    public var omitted: [Omitted]

    public init(owner: String, recipient: String, unlocked: [GrantInfo], omitted: [(slug: String, reason: String)]) {
        self.owner = owner
        self.recipient = recipient
        self.unlocked = unlocked.map { Unlocked(slug: $0.slug.description, expiresAt: TextFormat.isoTime(milliseconds: $0.expiresAtWallMilliseconds)) }
        self.omitted = omitted.map { Omitted(slug: $0.slug, reason: $0.reason) }
    }
}

/// `unlock --identity-agent --json`.
public struct IdentityAgentUnlockJSON: Encodable, Equatable {
    public var owner: String
    public var identityAgent = true
    public var identities: [String]
    public var expiresAt: String

    public init(owner: String, labels: [String], expiresAtWallMilliseconds: UInt64) {
        self.owner = owner
        identities = labels
        expiresAt = TextFormat.isoTime(milliseconds: expiresAtWallMilliseconds)
    }
}

/// `identity --json`.
public struct IdentityJSON: Encodable, Equatable {
    public var owner: String
    public var identity: String
    public var plugin = "age-plugin-keyrack"
    public var recipients: [String]

    public init(owner: String, identity: String, recipients: [String]) {
        self.owner = owner
        self.identity = identity
        self.recipients = recipients
    }
}

/// `inject --out-file F --json`.
public struct InjectJSON: Encodable, Equatable {
    public var output: String
    public var mode = "0600"
    public var placeholders: Int

    public init(output: String, placeholders: Int) {
        self.output = output
        self.placeholders = placeholders
    }
}
