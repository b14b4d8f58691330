import KeyrackClient

/// `audit verify --json`: the counts, and for a broken chain the first bad record and the error
/// object every failing command prints (under `error`, as `doctor --json` carries it). The text
/// report is rendered from the same report.
public struct AuditVerifyJSON: Encodable {
    public struct Fault: Encodable, Equatable {
        public var line: Int
        public var at: String
        public var problem: String
    }

    public var owner: String
    public var ok: Bool
    public var records: Int
    public var checkpoints: Int
    public var signedCheckpoints: Int
    public var cardCheckpoints: Int
    public var checkpointKey: String?
    public var fault: Fault?
    public var error: ErrorReport.Fields?

    /// `files` locates the bad line in the log's files (`PATH line N`).
    public init(owner: String, report: AuditVerifier.Report, files: AuditRecords.Files) {
        self.owner = owner
        ok = report.ok
        records = report.records
        checkpoints = report.checkpoints
        signedCheckpoints = report.signedCheckpoints
        cardCheckpoints = report.cardCheckpoints
        checkpointKey = report.checkpointKey
        fault = report.fault.map { Fault(line: $0.line, at: files.locate($0.line), problem: $0.problem) }
        error = fault.map {
            ErrorReport(code: "failure", exit: ExitStatus.failure, message: "\($0.at): \($0.problem); keep the file as it is for inspection", fix: nil).fields
        }
    }

    private enum Field: String, CodingKey { case owner, ok, records, checkpoints, signedCheckpoints, cardCheckpoints, checkpointKey, fault, error }

    /// `error` only when the chain is broken; every other field always (null when it has no value).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Field.self)
        try c.encode(owner, forKey: .owner)
        try c.encode(ok, forKey: .ok)
        try c.encode(records, forKey: .records)
        try c.encode(checkpoints, forKey: .checkpoints)
        try c.encode(signedCheckpoints, forKey: .signedCheckpoints)
        try c.encode(cardCheckpoints, forKey: .cardCheckpoints)
        try c.encodeIfPresent(checkpointKey, forKey: .checkpointKey)
        try c.encodeIfPresent(fault, forKey: .fault)
        if let error { try c.encode(error, forKey: .error) }
    }
}

/// `keyrack audit anchor --json`: which card slot now signs the owner's log.
public struct AuditAnchorJSON: Encodable, Equatable {
    public var owner: String
    public var slot: String
    public var serial: UInt32?
    public var cardKey: String

    public init(owner: String, slot: String, serial: UInt32?, cardKey: String) {
        (self.owner, self.slot, self.serial, self.cardKey) = (owner, slot, serial, cardKey)
    }
}
