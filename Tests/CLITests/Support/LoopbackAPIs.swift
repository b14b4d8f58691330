import Foundation
import TestSupport
import XCTest

/// Stand-ins for api.github.com and friends in the `exec --proxy` tests: Python's own
/// http.server (TLS by its ssl module, certificates made with the openssl CLI by a test CA of
/// their own), each on a free loopback port, writing every request it gets (method, path,
/// headers, body) as one JSON line to its log before it answers, so what a server received is
/// on disk by the time the client has its answer.
final class LoopbackAPIs {
    let dir: URL
    /// The test CA the real (stand-in) servers are signed by: what the caller's SSL_CERT_FILE holds.
    let caFile: URL
    private(set) var servers: [Server] = []

    struct Server {
        let port: UInt16
        let log: URL
        let process: Spawned
        let tls: Bool
        var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }
        var destination: String { "127.0.0.1:\(port)" }

        /// Every request received so far, in order.
        func requests() throws -> [[String: Any]] {
            guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }

        /// The Authorization header of each request received so far, "" where it had none.
        func authorizations() throws -> [String] { try requests().map { ($0["headers"] as? [String: String])?["authorization"] ?? "" } }

        /// The raw log: every byte any request carried to this server.
        func everything() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    }

    static let serverScript = """
    import http.server, json, ssl, sys
    port, cert, key, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            record = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                      "body": body.decode("latin-1")}
            with open(log, "a") as f:
                f.write(json.dumps(record) + "\\n")
            out = b"ok from %d\\n" % port
            echo = self.path.startswith("/echo")
            if echo:
                # A hostile (or merely chatty) API that quotes the request back.
                out = ("echo: " + (self.headers.get("Authorization") or "") + "\\n").encode() * 3000
            self.send_response(200)
            if echo:
                self.send_header("X-Echo", self.headers.get("Authorization") or "")
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        do_GET = do_POST = do_PUT = do_DELETE = answer
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    if cert != "-":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
    """

    /// A git smart-HTTP server (`git http-backend` as CGI behind Python's https server) for the
    /// repositories under `root`; each request is logged like the API's.
    static let gitServerScript = """
    import http.server, json, os, ssl, subprocess, sys
    port, cert, key, log, root = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            with open(log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}, "body": ""}) + "\\n")
            path, _, query = self.path.partition("?")
            env = {"GIT_PROJECT_ROOT": root, "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path, "QUERY_STRING": query,
                   "REQUEST_METHOD": self.command, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                   "CONTENT_LENGTH": str(len(body)), "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                   "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""), "PATH": os.environ["PATH"]}
            out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
            head, _, payload = out.partition(b"\\r\\n\\r\\n")
            if not _:
                head, _, payload = out.partition(b"\\n\\n")
            status, headers = 200, []
            for line in head.decode().splitlines():
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                else:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        do_GET = do_POST = answer
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
    """

    /// Starts the git server over `root` (signed by the test CA).
    func startGit(root: URL) throws -> Server {
        try record(try launch("git-server", script: LoopbackAPIs.gitServerScript) { [pem("api.pem"), pem("api.key"), self.log($0).path, root.path] })
    }

    /// Runs the Python `script` (written here as NAME.py) with a free port and then `arguments(port)`,
    /// stderr to NAME-PORT.err; returns once it listens, else throws with that stderr.
    func launch(_ name: String, script: String, python: String = "/usr/bin/python3", environment: [String: String] = [:],
                arguments: (UInt16) -> [String]) throws -> (port: UInt16, process: Spawned) {
        let port = try CloudServers.freePort()
        let err = dir.appendingPathComponent("\(name)-\(port).err")
        try Data(script.utf8).write(to: dir.appendingPathComponent("\(name).py"))
        let process = try Spawned(python, [dir.appendingPathComponent("\(name).py").path, String(port)] + arguments(port),
                                  environment: environment, stderrPath: err.path)
        guard CloudServers.waitForListener(port, alive: { process.isRunning }) else {
            process.terminate()
            throw NSError(domain: "LoopbackAPIs", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(name) did not listen on \(port): \((try? String(contentsOf: err, encoding: .utf8)) ?? "")"])
        }
        return (port, process)
    }

    /// A file of this directory (a certificate or key), "-" as is.
    func pem(_ name: String) -> String { name == "-" ? name : dir.appendingPathComponent(name).path }

    private func log(_ port: UInt16) -> URL { dir.appendingPathComponent("requests-\(port).jsonl") }

    private func record(_ launched: (port: UInt16, process: Spawned), tls: Bool = true) -> Server {
        let server = Server(port: launched.port, log: log(launched.port), process: launched.process, tls: tls)
        servers.append(server)
        return server
    }

    init(dir: URL) throws {
        self.dir = dir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        caFile = dir.appendingPathComponent("test-ca.pem")
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "test-ca.key",
                     "-out", "test-ca.pem", "-days", "2", "-subj", "/CN=keyrack test API CA",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try Data("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n".utf8)
            .write(to: dir.appendingPathComponent("leaf.ext"))
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "api.key", "-out", "api.csr", "-subj", "/CN=127.0.0.1"])
        try openssl(["x509", "-req", "-in", "api.csr", "-CA", "test-ca.pem", "-CAkey", "test-ca.key", "-CAcreateserial", "-out", "api.pem",
                     "-days", "2", "-extfile", "leaf.ext"])
        // Readable by the unprivileged user of the sandbox tests, whatever umask ran before.
        chmod(dir.path, 0o755)
        chmod(caFile.path, 0o644)
        // A server whose certificate no one trusts: self-signed, outside every bundle.
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "rogue.key",
                     "-out", "rogue.pem", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
    }

    private func openssl(_ args: [String]) throws {
        let r = try Run.process("/usr/bin/openssl", args, currentDirectory: dir)
        XCTAssertEqual(r.status, 0, "openssl \(args.joined(separator: " "))\n\(r)")
    }

    /// Starts one server: `https` signed by the test CA, `http`, or `rogue` (untrusted https).
    func start(_ kind: String) throws -> Server {
        let (cert, key) = kind == "http" ? ("-", "-") : kind == "rogue" ? ("rogue.pem", "rogue.key") : ("api.pem", "api.key")
        return record(try launch("server", script: LoopbackAPIs.serverScript) { [pem(cert), pem(key), self.log($0).path] }, tls: kind != "http")
    }

    func stop() {
        for s in servers { s.process.terminate(); s.process.waitForExit() }
        servers = []
    }
}
