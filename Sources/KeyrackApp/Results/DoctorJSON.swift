import KeyrackClient

/// `doctor --json`: every check, and when one failed the error object every failing command
/// prints (`{"code":"failure","exit":1,…}` under `error`), so `jq .error` finds a failure here as
/// everywhere. The text report is rendered from the same checks.
public struct DoctorJSON: Encodable {
    public struct Check: Encodable, Equatable {
        public var name: String
        public var status: String
        public var detail: String
        public var fix: String?

        public init(name: String, status: String, detail: String, fix: String?) {
            (self.name, self.status, self.detail, self.fix) = (name, status, detail, fix)
        }
    }

    public var owner: String
    public var checks: [Check]

    public init(owner: String, checks: [Check]) {
        self.owner = owner
        self.checks = checks
    }

    public var failed: [Check] { checks.filter { $0.status == "fail" } }
    public var ok: Bool { failed.isEmpty }

    /// The failure, as ErrorReport reports every other one: exit 1, the failed checks named, the
    /// first failed check's fix.
    public var error: ErrorReport? {
        guard let first = failed.first else { return nil }
        return ErrorReport(code: "failure", exit: ExitStatus.failure,
                           message: "\(failed.count) check(s) failed: \(failed.map(\.name).joined(separator: ", "))", fix: first.fix)
    }

    private enum Field: String, CodingKey { case owner, ok, checks, error }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Field.self)
        try c.encode(owner, forKey: .owner)
        try c.encode(ok, forKey: .ok)
        try c.encode(checks, forKey: .checks)
        if let error { try c.encode(error.fields, forKey: .error) }
    }
}
