import KeyrackDaemon

/// Refuses values that look like long-lived tokens, which should never sit in a rack meant for
/// short-lived grants. Matched after trimming surrounding whitespace (a pasted token often ends
/// in a newline, and " ghp_…" must not slip through). Short-lived forms stay allowed: GitHub App
/// installation tokens (`ghs_`), AWS STS keys (`ASIA`).
public enum Firewall {
    public static let prefixes: [(String, String)] = [
        ("ghp_", "a GitHub classic personal access token"),
        ("github_pat_", "a GitHub fine-grained personal access token"),
        ("gho_", "a GitHub OAuth token"),
        ("ghu_", "a GitHub user-to-server token"),
        ("ghr_", "a GitHub refresh token"),
        ("AKIA", "a long-lived AWS access key"),
        ("glpat-", "a GitLab personal access token"),
        ("xoxb-", "a Slack bot token"),
        ("xoxp-", "a Slack user token"),
        ("xoxa-", "a Slack app token"),
        ("xoxr-", "a Slack refresh token"),
        ("xapp-", "a Slack app-level token"),
        ("sk_live_", "a Stripe live secret key"),
        ("rk_live_", "a Stripe live restricted key"),
        ("npm_", "an npm access token"),
        ("pypi-", "a PyPI API token"),
        ("AIza", "a Google API key"),
    ]

    /// The family `value` belongs to, if it looks like a long-lived token.
    public static func match(_ value: [UInt8]) -> (prefix: String, what: String)? {
        func space(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0d) }
        let trimmed = value.drop(while: space)
        return prefixes.first { trimmed.starts(with: Array($0.0.utf8)) }.map { (prefix: $0.0, what: $0.1) }
    }

    public static func check(_ value: [UInt8], slug: Slug, allowDangerous: Bool) throws {
        guard !allowDangerous, let (prefix, what) = match(value) else { return }
        throw NotGranted(message: "\(slug) holds what looks like \(what) (\(prefix)…), which keyrack refuses to hand out: store a short-lived credential instead, or pass --allow-dangerous if you must", code: "refused")
    }
}
