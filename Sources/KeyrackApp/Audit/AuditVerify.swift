import KeyrackClient
import KeyrackCore

/// `keyrack audit verify`: the log's chain, checkpoints and anchor, against the keys the caller
/// names (a checkpoint key, a card's public key file) or the owner's manifest holds.
public enum AuditVerify {
    public struct Request: Equatable, Sendable {
        public var owner: String
        /// The checkpoint public key (hex) every signed checkpoint must be made with.
        public var checkpointKey: String?
        /// A PEM file of the P-256 public key every card checkpoint must be made with.
        public var cardKeyFile: String?
        /// Take both keys from the owner's manifest (a card key given as a file wins).
        public var fromManifest: Bool

        public init(owner: String, checkpointKey: String? = nil, cardKeyFile: String? = nil, fromManifest: Bool = false) {
            (self.owner, self.checkpointKey, self.cardKeyFile, self.fromManifest) = (owner, checkpointKey, cardKeyFile, fromManifest)
        }
    }

    /// What was checked and what it found: the text report and `--json` come from it.
    public struct Outcome {
        public var report: AuditVerifier.Report
        public var files: AuditRecords.Files
        /// The keys the checkpoints were required to be signed with, when any.
        public var checkpointKey: String?
        public var cardKey: String?
        public var json: AuditVerifyJSON
    }

    /// Checks `files` against the keys of `request`; `manifestKeys` opens the owner's manifest
    /// (asked only with `fromManifest`: a YubiKey owner touches once for both keys).
    public static func run(_ request: Request, files: AuditRecords.Files,
                           manifestKeys: () throws -> (checkpoint: String, card: String?)) throws -> Outcome {
        var expected = request.checkpointKey
        var expectedCard = try request.cardKeyFile.map(cardKeyHex(file:))
        if request.fromManifest {
            let keys = try manifestKeys()
            expected = keys.checkpoint
            if expectedCard == nil { expectedCard = keys.card }
        }
        let report = AuditVerifier.verify(log: files.log, anchor: files.anchor, owner: request.owner, expectedKey: expected, expectedCardKey: expectedCard)
        return Outcome(report: report, files: files, checkpointKey: expected, cardKey: expectedCard,
                       json: AuditVerifyJSON(owner: request.owner, report: report, files: files))
    }

    /// The same for the owner's log where keyrack keeps it, the manifest opened with the
    /// owner's identities (asking `terminal` for a passphrase or PIN).
    public static func run(_ request: Request, terminal: any UserTerminal) throws -> Outcome {
        try run(request, files: try AuditSources.files(owner: request.owner)) {
            let owner = try OwnerName(request.owner)
            let store = try HostManifestStore.fromEnvironment()
            let identities = try OwnerIdentities.resolve(owner, store: store, paths: [], only: nil, interaction: terminal.interaction)
            return try AuditSources.manifestKeys(owner: owner, store: store, identities: identities)
        }
    }

    /// The hex of the P-256 public key in a PEM file (as a card's slot key is printed), read by
    /// the one key-file reader.
    public static func cardKeyHex(file path: String) throws -> String {
        let pem = String(decoding: try KeyFile.read(path, what: "card public key file"), as: UTF8.self)
        guard let hex = AuditVerifier.cardKeyHex(pem: pem) else { throw AuditVerifyError.notACardKey(path: path) }
        return hex
    }
}

/// Why `audit verify` could not start checking (a broken log is a report, not an error).
public enum AuditVerifyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The card key file holds no P-256 public key in PEM.
    case notACardKey(path: String)

    public var problem: String {
        switch self {
        case .notACardKey(let path): return "\(path) is not a P-256 public key in PEM"
        }
    }

    public var fix: String {
        switch self {
        case .notACardKey: return "give the public key of the card's slot as it was printed when the slot's key was made"
        }
    }

    public var description: String { "\(problem): \(fix)" }
}
