import KeyrackApp

/// `audit verify`'s text: the intact log's counts on stdout (a broken one fails with its error).
extension AuditVerify.Outcome {
    public var line: String {
        "\(files.path): \(report.records) records, chain intact; \(report.checkpoints) checkpoint(s), \(report.signedCheckpoints) signed\(checkpointKey != nil ? " with the owner's key" : ""); \(report.cardCheckpoints) card checkpoint(s)\(cardKey != nil && report.cardCheckpoints > 0 ? " by the owner's card" : "")"
    }
}
