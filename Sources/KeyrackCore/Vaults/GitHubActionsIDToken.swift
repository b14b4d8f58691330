import Foundation
import SecretBytes
import KeyrackNames

/// One HTTP GET: the status and body of the answer, or a thrown reason why none came (the core
/// has no HTTP client; keyrack-cli hands in KeyrackOpenBao's, as for HTTPPost).
public typealias HTTPGet = (_ url: String, _ headers: [(String, String)]) throws -> (status: Int, body: [UInt8])

/// EPHEMERAL_VIA_GITHUB_OIDC: the ID token of the GitHub Actions job keyrack runs in. The runner
/// gives a job with `permissions: id-token: write` two variables; the token is the answer to
/// `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD` with `Authorization: bearer
/// $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, JSON `{"value": "<JWT>"}` (docs.github.com, "OpenID Connect
/// reference"; what actions/toolkit's core.getIDToken does). The JWT is handed back in bytes the
/// caller wipes; it is never written, put in argv, or printed.
public enum GitHubActionsIDToken {
    public static let urlVariable = "ACTIONS_ID_TOKEN_REQUEST_URL"
    public static let tokenVariable = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"

    /// Why no ID token came; each says what to do. All are "not granted" (exit 3).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// No request URL: not in GitHub Actions, or the job may not ask for tokens.
        case notInActions
        /// The URL is there but its bearer is not.
        case noRequestToken
        /// The URL is not https (or http to loopback).
        case badURL(String)
        case unreachable(String)
        case refused(status: Int, message: String)
        case malformed

        /// The next step where it is one of the program's own settings (the CLI words it).
        public var remedy: KeyrackError.Remedy? { self == .notInActions ? .anotherOpenBaoLogin : nil }

        public var description: String { remedy.map { "\(problem) (\($0.words))" } ?? problem }

        /// What went wrong; with no `remedy`, also what to do.
        public var problem: String {
            switch self {
            case .notInActions:
                return "no GitHub Actions ID token: \(urlVariable) is not set, so this is not a GitHub Actions job or the job lacks `permissions: id-token: write`; nothing was unlocked"
            case .noRequestToken:
                return "no GitHub Actions ID token: \(urlVariable) is set but \(tokenVariable) is not; nothing was unlocked: give the job `permissions: id-token: write`"
            case .badURL(let url):
                return "no GitHub Actions ID token: \(urlVariable) '\(url.prefix(80))' is not an https:// URL (plain http is allowed to loopback only); nothing was unlocked"
            case .unreachable(let why):
                return "no GitHub Actions ID token: its endpoint could not be reached (\(why)); nothing was unlocked: re-run the job"
            case .refused(let status, let message):
                return "no GitHub Actions ID token: its endpoint answered HTTP \(status)\(message.isEmpty ? "" : " (\(message))"); nothing was unlocked: check the job's `permissions: id-token: write`"
            case .malformed:
                return "no GitHub Actions ID token: its endpoint's answer has no \"value\"; nothing was unlocked: re-run the job"
            }
        }
    }

    /// The request URL with the audience appended (percent-encoded), or nil when none is set.
    static func requestURL(_ base: String, audience: String?) -> String {
        guard let audience, !audience.isEmpty else { return base }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = audience.addingPercentEncoding(withAllowedCharacters: allowed) ?? audience
        return base + (base.contains("?") ? "&" : "?") + "audience=" + encoded
    }

    /// Asks the job's token endpoint for an ID token for `audience` (nil: GitHub's default).
    public static func request(audience: String?, environment: [String: String], get: HTTPGet) throws -> [UInt8] {
        guard let base = environment[urlVariable], !base.isEmpty else { throw Failure.notInActions }
        guard let bearer = environment[tokenVariable], !bearer.isEmpty else { throw Failure.noRequestToken }
        guard let address = try? ServerAddress(parsing: base), address.plainHTTPRefusal == nil else { throw Failure.badURL(base) }
        let status: Int
        var reply: [UInt8]
        do {
            (status, reply) = try get(requestURL(base, audience: audience),
                                      [("Authorization", "bearer " + bearer), ("Accept", "application/json; api-version=2.0"),
                                       ("User-Agent", "keyrack")])
        } catch {
            throw Failure.unreachable("\(error)")
        }
        defer { wipe(&reply) }
        let object = (try? JSONSerialization.jsonObject(with: Data(reply))) as? [String: Any]
        guard status == 200 else {
            throw Failure.refused(status: status, message: String(((object?["message"] as? String) ?? "").prefix(160)))
        }
        guard let value = object?["value"] as? String, value.split(separator: ".").count == 3 else { throw Failure.malformed }
        return Array(value.utf8)
    }
}
