import KeyrackApp

/// `firewall`'s notes on stderr: the counts of a GitHub Actions export, and each blocked secret.
extension SecretsFirewall.Counts {
    public var line: String {
        "keyrack firewall: \(granted) granted (masked, appended to $GITHUB_ENV), \(blocked) blocked, \(absent) absent"
    }
}

extension SecretsFirewall.Attempt {
    /// nil unless the firewall blocked it.
    public var blockedLine: String? { status == .blocked ? "blocked: \(slug): \(reason ?? "")" : nil }
}
