import KeyrackCore

// What `init`, `sandbox require|release` and `daemon prune` answer with `--json` (JSONLine).

/// What `init --org` did about the repository's .agent/keyrack.yml.
public struct RepoFileInitJSON: Encodable, Equatable {
    /// created, found or not-in-repository.
    public var effect: String
    public var path: String?
    public var org: String?

    public init(_ outcome: RepoFileInit.Outcome, org: String) {
        switch outcome {
        case .created(let path): (effect, self.path, self.org) = ("created", path, org)
        case .found(let path): (effect, self.path, self.org) = ("found", path, org)
        case .notInRepository: (effect, path, self.org) = ("not-in-repository", nil, nil)
        }
    }
}

/// `init --json`: created, or already-initialised (then `identity` and `createdIdentity` are null).
public struct InitJSON: Encodable, Equatable {
    public var owner: String
    public var effect: String
    public var manifest: String
    public var via: String?
    public var recipient: String?
    public var identity: String?
    public var createdIdentity: Bool?
    public var repo: RepoFileInitJSON?

    public init(owner: String, effect: String, manifest: String, via: String?, recipient: String?, identity: String?,
                createdIdentity: Bool?, repo: RepoFileInitJSON?) {
        (self.owner, self.effect, self.manifest, self.via, self.recipient) = (owner, effect, manifest, via, recipient)
        (self.identity, self.createdIdentity, self.repo) = (identity, createdIdentity, repo)
    }
    /// What `result` did to `owner`'s manifest at `manifest`; `org` is the repository file's.
    public init(owner: String, manifest: String, result: OwnerInit.Result, org: String?) {
        let repo = result.repoFile.map { RepoFileInitJSON($0, org: org ?? "") }
        switch result.outcome {
        case .created(let made, let setup):
            self.init(owner: owner, effect: "created", manifest: manifest, via: result.via.rawValue, recipient: made.owner.pubkey,
                      identity: setup.location.identityPath, createdIdentity: setup.createdIdentity, repo: repo)
        case .alreadyInitialised(let recipients):
            let primary = recipients?.recipients.first
            self.init(owner: owner, effect: "already-initialised", manifest: manifest, via: primary?.via.rawValue, recipient: primary?.pubkey,
                      identity: nil, createdIdentity: nil, repo: repo)
        }
    }
}

/// `sandbox require|release --json`.
public struct SandboxJSON: Encodable, Equatable {
    public var owner: String
    public var sandboxed: Bool
    public var changed: Bool
    public var daemonRunning: Bool

    public init(_ outcome: SandboxRequirement.Outcome) {
        owner = outcome.owner
        sandboxed = outcome.required
        changed = !outcome.unchanged
        daemonRunning = outcome.daemonRunning
    }
}

/// `daemon prune --json`: the owners whose daemon was stopped.
public struct PruneJSON: Encodable, Equatable {
    public struct Owner: Encodable, Equatable {
        public var owner: String
    }

    public var pruned: [Owner]

    public init(pruned: [String]) { self.pruned = pruned.map(Owner.init) }
}
