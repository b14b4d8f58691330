/// Something `keyrack migrate` did not carry, and why (an unknown vault, a value file absent,
/// a key that did not open the file…): reported per owner, never fatal for the others.
public struct MigrationNote: Equatable, Sendable {
    public var subject: String
    public var reason: String
}

/// What `keyrack migrate` did (or, with `--dry-run`, would do) for one TypeScript manifest.
public struct MigrationReport: Equatable, Sendable {
    public enum Outcome: Equatable, Sendable {
        case migrated
        case wouldMigrate
        case failed(MigrationError)
    }

    /// The keyrack owner (`human` for `keyrack.host.age`).
    public var owner: String
    /// The TypeScript file read; never written.
    public var source: String
    public var outcome: Outcome
    /// The key that opened the old manifest and is the new primary.
    public var openedWith: String?
    /// Slugs carried, with their vault.
    public var keys: [(slug: String, vault: String)]
    /// Labels of the backup recipients carried.
    public var recipients: [String]
    public var notMoved: [MigrationNote]
    /// With --replace: where the owner's keyrack files were renamed to before the migration.
    public var setAside: [String] = []

    public static func == (a: MigrationReport, b: MigrationReport) -> Bool {
        a.owner == b.owner && a.source == b.source && a.outcome == b.outcome && a.openedWith == b.openedWith
            && a.keys.map(\.slug) == b.keys.map(\.slug) && a.keys.map(\.vault) == b.keys.map(\.vault)
            && a.recipients == b.recipients && a.notMoved == b.notMoved && a.setAside == b.setAside
    }

    init(owner: String, source: String) {
        self.owner = owner
        self.source = source
        outcome = .wouldMigrate
        keys = []
        recipients = []
        notMoved = []
    }
}
