import KeyrackDaemon
import KeyrackNames

/// Refuses values that hold a long-lived token, which should never sit in a rack meant for
/// short-lived grants. A token is found anywhere in the value, not only at its start: after
/// `Bearer `, inside `https://x:TOKEN@host`, as an `.npmrc` `_authToken=TOKEN`, on any line, in
/// quotes, after a NBSP or a BOM. It must stand at a word boundary (no letter, digit or `_`
/// before its prefix, so `mask_live_…` or `NOTAKIA…` is no token) and be followed by a body of
/// its family's characters at least as long as a real one's shortest, so prose that merely
/// mentions `npm_config` passes. Short-lived forms stay allowed: GitHub App installation tokens
/// (`ghs_`), AWS STS keys (`ASIA`).
public enum Firewall {
    /// One token family: its prefix, what it is, the bytes of its body and the body's least length.
    public struct Family: Sendable {
        public let prefix: String
        public let what: String
        let body: Body
        let minimumBody: Int
    }

    enum Body: Sendable {
        case alphanumeric, upperAlphanumeric, word, wordAndDash, alphanumericAndDash
        func allows(_ b: UInt8) -> Bool {
            let digit = b >= 0x30 && b <= 0x39, upper = b >= 0x41 && b <= 0x5a, lower = b >= 0x61 && b <= 0x7a
            switch self {
            case .alphanumeric: return digit || upper || lower
            case .upperAlphanumeric: return digit || upper
            case .word: return digit || upper || lower || b == 0x5f
            case .wordAndDash: return digit || upper || lower || b == 0x5f || b == 0x2d
            case .alphanumericAndDash: return digit || upper || lower || b == 0x2d
            }
        }
    }

    public static let families: [Family] = [
        Family(prefix: "ghp_", what: "a GitHub classic personal access token", body: .alphanumeric, minimumBody: 16),
        Family(prefix: "github_pat_", what: "a GitHub fine-grained personal access token", body: .word, minimumBody: 16),
        Family(prefix: "gho_", what: "a GitHub OAuth token", body: .alphanumeric, minimumBody: 16),
        Family(prefix: "ghu_", what: "a GitHub user-to-server token", body: .alphanumeric, minimumBody: 16),
        Family(prefix: "ghr_", what: "a GitHub refresh token", body: .alphanumeric, minimumBody: 16),
        Family(prefix: "AKIA", what: "a long-lived AWS access key", body: .upperAlphanumeric, minimumBody: 16),
        Family(prefix: "glpat-", what: "a GitLab personal access token", body: .wordAndDash, minimumBody: 16),
        Family(prefix: "xoxb-", what: "a Slack bot token", body: .alphanumericAndDash, minimumBody: 10),
        Family(prefix: "xoxp-", what: "a Slack user token", body: .alphanumericAndDash, minimumBody: 10),
        Family(prefix: "xoxa-", what: "a Slack app token", body: .alphanumericAndDash, minimumBody: 10),
        Family(prefix: "xoxr-", what: "a Slack refresh token", body: .alphanumericAndDash, minimumBody: 10),
        Family(prefix: "xapp-", what: "a Slack app-level token", body: .alphanumericAndDash, minimumBody: 10),
        Family(prefix: "sk_live_", what: "a Stripe live secret key", body: .alphanumeric, minimumBody: 16),
        Family(prefix: "rk_live_", what: "a Stripe live restricted key", body: .alphanumeric, minimumBody: 16),
        Family(prefix: "npm_", what: "an npm access token", body: .alphanumeric, minimumBody: 16),
        Family(prefix: "pypi-", what: "a PyPI API token", body: .wordAndDash, minimumBody: 16),
        Family(prefix: "AIza", what: "a Google API key", body: .wordAndDash, minimumBody: 30),
    ]

    /// The family of the first long-lived token found in `value`, if any.
    public static func match(_ value: [UInt8]) -> (prefix: String, what: String)? {
        func wordByte(_ b: UInt8) -> Bool { Body.word.allows(b) }
        for start in value.indices where start == 0 || !wordByte(value[start - 1]) {
            for family in families {
                let prefix = family.prefix.utf8
                guard value.count - start >= prefix.count + family.minimumBody,
                      value[start..<start + prefix.count].elementsEqual(prefix) else { continue }
                let body = value[(start + prefix.count)...].prefix { family.body.allows($0) }
                if body.count >= family.minimumBody { return (family.prefix, family.what) }
            }
        }
        return nil
    }

    public static func check(_ value: [UInt8], slug: Slug, allowDangerous: Bool) throws {
        guard !allowDangerous, let (prefix, what) = match(value) else { return }
        throw NotGranted(message: "\(slug) holds what looks like \(what) (\(prefix)…), which keyrack refuses to hand out: store a short-lived credential instead, or pass --allow-dangerous if you must", code: "refused")
    }
}
