import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// EPHEMERAL_VIA_GITHUB_APP: at unlock, the app's JWT buys an installation token
/// (`POST /app/installations/{id}/access_tokens` on GITHUB_API_URL, default
/// https://api.github.com; GitHub Enterprise Server's is https://HOST/api/v3). The `ghs_…`
/// token is granted until its `expires_at` and no longer. Foundation's URLSession, which the full
/// CLI links anyway; the `get` fast path never reaches this.
public enum GitHubAppToken {
    public static let defaultAPI = "https://api.github.com"

    static func mint(source bytes: [UInt8], entry: KeyEntry, environment: [String: String]) throws -> KeySource.Outcome {
        let source: GitHubAppSource
        do { source = try GitHubAppSource(json: bytes) } catch let error as KeyrackError { return .missing(error.message) }
        let base = environment["GITHUB_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultAPI
        guard let url = endpoint(base: base, installation: source.installationID) else {
            return .missing("GITHUB_API_URL '\(base.prefix(80))' is not an https:// URL (plain http is allowed to loopback only)")
        }
        var body: [String: Any] = [:]
        if let r = entry.options[KeyOptions.repositories] { body["repositories"] = try GitHubAppNarrowing.repositories(r) }
        if let p = entry.options[KeyOptions.permissions] { body["permissions"] = try GitHubAppNarrowing.permissions(p) }

        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = "POST"
        request.setValue("Bearer " + (try GitHubAppJWT.sign(source)), forHTTPHeaderField: "Authorization")
        request.setValue("application/vnd.github+json", forHTTPHeaderField: "Accept")
        request.setValue("2022-11-28", forHTTPHeaderField: "X-GitHub-Api-Version")
        request.setValue("keyrack", forHTTPHeaderField: "User-Agent")
        if !body.isEmpty {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        }
        let (status, data, failure) = send(request)
        var reply = data
        defer { reply.resetBytes(in: 0..<reply.count) }
        let what = "GitHub App \(source.appID) installation \(source.installationID)"
        if let failure { return .missing("\(what): cannot reach \(base): \(failure)") }
        let object = (try? JSONSerialization.jsonObject(with: reply)) as? [String: Any]
        let message = (object?["message"] as? String).map { ": \($0.prefix(160))" } ?? ""
        switch status {
        case 201:
            guard let token = object?["token"] as? String, token.hasPrefix("ghs_"),
                  let expiry = (object?["expires_at"] as? String).flatMap(AWSProfileCredentials.parseTime) else {
                return .missing("\(what): \(base) answered 201 without a ghs_ token and an expires_at")
            }
            guard expiry > Date() else { return .missing("\(what): the token GitHub minted has already expired (check this machine's clock)") }
            return .values([KeySource.Value(key: entry.slug.key.value, value: Array(token.utf8), expiresAt: expiry)])
        case 401:
            return .missing("\(what): GitHub refused the app's JWT (401\(message)): check the app id, that the key is the app's current one, and this machine's clock")
        case 403:
            return .missing("\(what): forbidden (403\(message)): the app may be suspended or lack the requested permissions")
        case 404:
            return .missing("\(what): not found (404\(message)): check the installation id (it must be an installation of this app)")
        case 422:
            return .missing("\(what): GitHub refused the narrowing (422\(message)): check --repositories and --permissions")
        default:
            return .missing("\(what): \(base) answered HTTP \(status)\(message)")
        }
    }

    /// `BASE/app/installations/ID/access_tokens`, for https, or http to a loopback address.
    static func endpoint(base: String, installation: String) -> URL? {
        guard let components = URLComponents(string: base), let host = components.host, !host.isEmpty,
              components.scheme == "https" || (components.scheme == "http" && ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host)) else {
            return nil
        }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return URL(string: "\(trimmed)/app/installations/\(installation)/access_tokens")
    }

    /// One request, waited for: the status, the body, or why there is no answer.
    private static func send(_ request: URLRequest) -> (Int, Data, String?) {
        final class Box: @unchecked Sendable { var status = 0; var data = Data(); var error: String? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        session.dataTask(with: request) { data, response, error in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            box.data = data ?? Data()
            box.error = error?.localizedDescription
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        return (box.status, box.data, box.error)
    }
}
