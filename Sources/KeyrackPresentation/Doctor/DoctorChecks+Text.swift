import KeyrackApp

/// `doctor`'s text report: each check with its mark, the fix under each failed or warned one,
/// then the verdict.
extension DoctorChecks {
    public static func lines(owner: String, checks: [DoctorCheck]) -> [String] {
        var lines = ["keyrack doctor for '\(owner)':"]
        for c in checks {
            let mark = c.status == .pass ? "ok  " : c.status == .fail ? "FAIL" : c.status == .warn ? "warn" : "skip"
            lines.append("  [\(mark)] \(c.name): \(c.detail)")
            if c.status == .fail || c.status == .warn, let fix = c.fix { lines.append("         fix: \(fix.cli)") }
        }
        lines.append(healthy(checks) ? "all checks passed" : "\(checks.filter { $0.status == .fail }.count) check(s) failed")
        return lines
    }
}
