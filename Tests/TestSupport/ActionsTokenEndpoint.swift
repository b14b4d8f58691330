import Foundation

/// The stand-in for GitHub Actions' OIDC token endpoint (Fixtures/github-oidc-endpoint), started
/// on a free loopback port for one test and stopped at its end. `environment` is what a job with
/// `permissions: id-token: write` has; `requests` what the stand-in was asked (and the JWT it
/// issued, so a test can look for it where it must not be).
public final class ActionsTokenEndpoint {
    public static let urlVariable = "ACTIONS_ID_TOKEN_REQUEST_URL", tokenVariable = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"

    public let log: URL
    public let requestToken: String
    private let process: Spawned
    private let port: Int

    /// `privateKey`: the key it signs with, RSA for RS256 (GitHub's) or P-256 for ES256 (its
    /// public half is what the verifier trusts).
    public init(dir: TempDirectory, privateKey: URL, requestToken: String, repository: String = "acme/app", expired: Bool = false,
         algorithm: String = "RS256") throws {
        let n = UUID().uuidString.prefix(8)
        let portFile = dir.file("oidc-port-\(n)")
        log = dir.file("oidc-\(n).jsonl")
        self.requestToken = requestToken
        process = try Spawned(try CloudServers.venvToolPath("python3"), [
            Run.packageRoot.appendingPathComponent("Tests/CLITests/Fixtures/github-oidc-endpoint").path, "--private-key", privateKey.path,
            "--request-token", requestToken, "--repository", repository, "--port-file", portFile.path, "--log", log.path]
            + (expired ? ["--expired"] : []) + ["--algorithm", algorithm], stderrPath: dir.file("oidc-\(n).err").path)
        // The stand-in creates the file, then writes the port: wait for a whole number, not the file.
        func written() -> Int? { Int((try? String(contentsOf: portFile, encoding: .utf8)) ?? "") }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, process.isRunning, written() == nil { usleep(20_000) }
        guard let port = written() else {
            process.terminate()
            throw NSError(domain: "ActionsTokenEndpoint", code: 1, userInfo: [NSLocalizedDescriptionKey: "the stand-in did not start: \((try? String(contentsOf: dir.file("oidc-\(n).err"), encoding: .utf8)) ?? "")"])
        }
        self.port = port
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning { process.terminate() }
        process.waitForExit()
    }

    /// The job's two variables; the URL has the runner's shape (a path, api-version in the query).
    public var environment: [String: String?] {
        [Self.urlVariable: "http://127.0.0.1:\(port)/_apis/distributedtask/idtoken?api-version=2.0", Self.tokenVariable: requestToken]
    }

    public func requests() throws -> [[String: Any]] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map {
            guard let line = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw NSError(domain: "ActionsTokenEndpoint", code: 2, userInfo: [NSLocalizedDescriptionKey: "not a JSON object in its log: \($0)"])
            }
            return line
        }
    }

    /// Every regular file under `dir` that contains `needle`, except the stand-in's own log.
    public func files(under dir: URL, containing needle: String) -> [String] {
        let bytes = Data(needle.utf8)
        let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey])
        var hits: [String] = []
        while let url = walker?.nextObject() as? URL {
            guard url.lastPathComponent.hasPrefix("oidc-") == false, (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let data = try? Data(contentsOf: url), data.range(of: bytes) != nil else { continue }
            hits.append(url.path)
        }
        return hits
    }
}
