import Foundation
import SecretBytes
import KeyrackNames

/// One HTTPS POST: the status and body of the answer, or a thrown reason why none came. The
/// core has no HTTP client of its own; keyrack-cli hands in the one it links (KeyrackOpenBao's).
public typealias HTTPPost = (_ url: String, _ headers: [(String, String)], _ body: [UInt8]) throws -> (status: Int, body: [UInt8])

/// EPHEMERAL_VIA_GITHUB_APP: at unlock, the app's JWT buys an installation token
/// (`POST /app/installations/{id}/access_tokens` on GITHUB_API_URL, default
/// https://api.github.com; GitHub Enterprise Server's is https://HOST/api/v3). The `ghs_…`
/// token is granted until its `expires_at` and no longer.
public enum GitHubAppToken {
    public static let defaultAPI = "https://api.github.com"

    static func mint(source bytes: [UInt8], entry: KeyEntry, environment: [String: String], post: HTTPPost) throws -> KeySource.Outcome {
        let source: GitHubAppSource
        do { source = try GitHubAppSource(json: bytes) } catch let error as KeyrackError { return .missing(LockedReason(error)) }
        let base = environment["GITHUB_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultAPI
        guard let url = endpoint(base: base, installation: source.installationID) else {
            return .missing("GITHUB_API_URL '\(base.prefix(80))' is not an https:// URL (plain http is allowed to loopback only)")
        }
        var body: [String: Any] = [:]
        if let r = entry.options[KeyOptions.repositories] { body["repositories"] = try GitHubAppNarrowing.repositories(r) }
        if let p = entry.options[KeyOptions.permissions] { body["permissions"] = try GitHubAppNarrowing.permissions(p) }

        var headers = [("Authorization", "Bearer " + (try GitHubAppJWT.sign(source))), ("Accept", "application/vnd.github+json"),
                       ("X-GitHub-Api-Version", "2022-11-28"), ("User-Agent", "keyrack")]
        var json: [UInt8] = []
        if !body.isEmpty {
            headers.append(("Content-Type", "application/json"))
            json = Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        }
        let what = "GitHub App \(source.appID) installation \(source.installationID)"
        let status: Int
        var reply: [UInt8]
        do { (status, reply) = try post(url.absoluteString, headers, json) } catch {
            return .missing("\(what): cannot reach \(base): \(error)")
        }
        defer { wipe(&reply) }
        let object = (try? JSONSerialization.jsonObject(with: Data(reply))) as? [String: Any]
        let message = (object?["message"] as? String).map { ": \($0.prefix(160))" } ?? ""
        switch status {
        case 201:
            guard let token = object?["token"] as? String, token.hasPrefix("ghs_"),
                  let expiry = (object?["expires_at"] as? String).flatMap(AWSProfileCredentials.parseTime) else {
                return .missing("\(what): \(base) answered 201 without a ghs_ token and an expires_at")
            }
            guard expiry > Date() else { return .missing("\(what): the token GitHub minted has already expired (check this machine's clock)") }
            return .values([KeySource.Value(key: entry.slug.key, value: Array(token.utf8), expiresAt: expiry,
                                            revocation: revocation(base: base))])
        case 401:
            return .missing("\(what): GitHub refused the app's JWT (401\(message)): check the app id, that the key is the app's current one, and this machine's clock")
        case 403:
            return .missing("\(what): forbidden (403\(message)): the app may be suspended or lack the requested permissions")
        case 404:
            return .missing("\(what): not found (404\(message)): check the installation id (it must be an installation of this app)")
        case 422:
            return .missing(LockedReason("\(what): GitHub refused the narrowing (422\(message))", remedy: .check([.repositories, .permissions])))
        default:
            return .missing("\(what): \(base) answered HTTP \(status)\(message)")
        }
    }

    /// What the daemon's revoker is handed with the token when its grant ends (relock, expiry,
    /// replacement, daemon stop): `github-installation-token BASE/installation/token`.
    ///
    /// Why the daemon's process revokes, and not `relock`: expiry has no command running, only
    /// the daemon; and the daemon stays vault-free, since it keeps this note unread and passes it
    /// to the revoker keyrack-cli's `daemon run` supplies (`revoke` below). Under the systemd
    /// unit the daemon has no network, so the revocation fails there (logged) and the token ends
    /// at its `expires_at`, as before.
    static func revocation(base: String) -> String {
        "\(revocationKind) \(base.hasSuffix("/") ? String(base.dropLast()) : base)/installation/token"
    }

    static let revocationKind = "github-installation-token"

    /// Revokes an installation token (`DELETE /installation/token` with the token as Bearer;
    /// GitHub answers 204). Returns nil when revoked, else why not. `send` is (method, URL,
    /// headers) → status. A note of another kind is not this function's: it says so.
    public static func revoke(note: String, token: [UInt8], send: (String, String, [(String, String)]) throws -> Int) -> String? {
        let parts = note.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0] == revocationKind else { return "not a GitHub installation token" }
        let url = String(parts[1])
        guard let address = try? ServerAddress(parsing: url), address.plainHTTPRefusal == nil else {
            return "'\(url.prefix(80))' is not an https:// URL (plain http is allowed to loopback only)"
        }
        let headers = [("Authorization", "Bearer " + String(decoding: token, as: UTF8.self)), ("Accept", "application/vnd.github+json"),
                       ("X-GitHub-Api-Version", "2022-11-28"), ("User-Agent", "keyrack")]
        do {
            let status = try send("DELETE", url, headers)
            return status == 204 ? nil : "\(url) answered HTTP \(status)"
        } catch {
            return "cannot reach \(url): \(error)"
        }
    }

    /// `BASE/app/installations/ID/access_tokens`, for https, or http to a loopback address (the
    /// rule of ServerAddress, which the HTTP client applies again before it connects).
    static func endpoint(base: String, installation: String) -> URL? {
        guard let address = try? ServerAddress(parsing: base), address.plainHTTPRefusal == nil else { return nil }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return URL(string: "\(trimmed)/app/installations/\(installation)/access_tokens")
    }
}
