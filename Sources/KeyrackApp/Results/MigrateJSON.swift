/// `migrate --json`: one object per TypeScript manifest, what moved and what did not.
public struct MigrateJSON: Encodable, Equatable {
    public struct Owner: Encodable, Equatable {
        public struct Key: Encodable, Equatable {
            public var slug: String
            public var vault: String
        }

        public struct NotMoved: Encodable, Equatable {
            public var subject: String
            public var reason: String
        }

        public var owner: String
        /// migrated, would-migrate or failed.
        public var status: String
        public var source: String
        public var openedWith: String?
        public var keys: [Key]
        public var recipients: [String]
        public var notMoved: [NotMoved]
        public var setAside: [String]
        /// For `failed`: why, and what to do.
        public var problem: String?
        public var fix: String?

        /// `fix` words a failure's remedy in the caller's commands.
        public init(_ r: MigrationReport, fix words: (MigrationError.Remedy) -> String) {
            (owner, source, openedWith, recipients, setAside) = (r.owner, r.source, r.openedWith, r.recipients, r.setAside)
            keys = r.keys.map { Key(slug: $0.slug, vault: $0.vault) }
            notMoved = r.notMoved.map { NotMoved(subject: $0.subject, reason: $0.reason) }
            switch r.outcome {
            case .migrated: status = "migrated"
            case .wouldMigrate: status = "would-migrate"
            case .failed(let e): (status, problem, fix) = ("failed", e.problem, words(e.remedy))
            }
        }
    }

    public var dryRun: Bool
    public var owners: [Owner]

    public init(dryRun: Bool, reports: [MigrationReport], fix: (MigrationError.Remedy) -> String) {
        self.dryRun = dryRun
        owners = reports.map { Owner($0, fix: fix) }
    }

    /// Whether an owner could not be migrated (the command then fails).
    public var anyFailed: Bool { owners.contains { $0.status == "failed" } }
}
