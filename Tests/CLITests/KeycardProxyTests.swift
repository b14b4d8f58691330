import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack exec --proxy` end to end (issue 27): the built keyrack, a real daemon, real curl and
/// Python clients inside the run, and Python https servers on loopback standing in for the APIs.
/// The program holds placeholders only; the value reaches the servers a key may be sent to and
/// no other; the run's CA key never touches disk; the proxy ends with the run.
final class KeycardProxyTests: XCTestCase {
    private var h: DaemonHarness!
    private var apis: LoopbackAPIs!

    override func setUpWithError() throws {
        h = try DaemonHarness()
        apis = try LoopbackAPIs(dir: h.machine.dir.file("apis"))
    }

    override func tearDown() {
        apis?.stop()
        h?.tearDown()
    }

    private let client = #"""
    set -u
    out=$OUT_DIR
    env > "$out/env.txt"
    cat /proc/self/environ | tr '\0' '\n' > "$out/environ.txt"
    ls -A "$(dirname "$SSL_CERT_FILE")" > "$out/cadir.txt"
    dirname "$SSL_CERT_FILE" > "$out/cadir-path.txt"
    echo "$HTTPS_PROXY" > "$out/proxy.txt"
    echo "${NO_PROXY-unset}" > "$out/no-proxy.txt"
    curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" -H "X-Other: $OTHER_TOKEN" "$API_A/bearer?token=$GITHUB_TOKEN" > "$out/a-bearer.txt" 2>&1
    curl -sS -u "x-access-token:$GITHUB_TOKEN" "$API_A/basic" > "$out/a-basic.txt" 2>&1
    curl -sS -H 'Content-Type: application/json' --data "{\"token\": \"$GITHUB_TOKEN\", \"other\": \"$OTHER_TOKEN\"}" "$API_A/json" > "$out/a-json.txt" 2>&1
    curl -sS -D "$out/echo-headers.txt" -H "Authorization: Bearer $GITHUB_TOKEN" "$API_A/echo" > "$out/echo.txt" 2>&1
    { printf '{"token": "%s", "pad": "' "$GITHUB_TOKEN"; head -c 200000 /dev/zero | tr '\0' x; printf '"}'; } > "$out/big.json"
    curl -sS -H 'Content-Type: application/json' --data-binary @"$out/big.json" "$API_A/big" > "$out/a-big.txt" 2>&1
    python3 -c 'import os, urllib.request; r = urllib.request.Request(os.environ["API_A"] + "/python", headers={"Authorization": "token " + os.environ["GITHUB_TOKEN"]}); print(urllib.request.urlopen(r).read().decode())' > "$out/a-python.txt" 2>&1
    "$PY_VENV" -c 'import os, requests; print(requests.get(os.environ["API_A"] + "/requests", headers={"Authorization": "Bearer " + os.environ["GITHUB_TOKEN"]}).text)' > "$out/a-requests.txt" 2>&1
    curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" "$API_B/stolen" > "$out/b.txt" 2>&1
    curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" "$API_C/tunnel" > "$out/c.txt" 2>&1
    curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" "$API_H/plain" > "$out/h.txt" 2>&1
    curl -sS -o /dev/null -w '%{http_code}' -H "X-Amz-Date: 20260101T000000Z" -H "Authorization: AWS4-HMAC-SHA256 Credential=$GITHUB_TOKEN/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00" "$API_A/sigv4" > "$out/sigv4.txt" 2>&1
    curl -sS -o "$out/rogue-body.txt" -w '%{http_code}' -H "Authorization: Bearer $GITHUB_TOKEN" "$API_R/rogue" > "$out/rogue.txt" 2>&1
    exit 7
    """#

    func testProgramHoldsPlaceholdersAndOnlyAllowedHostsGetValues() throws {
        let a = try apis.start("https"), b = try apis.start("https"), c = try apis.start("https")
        let plain = try apis.start("http"), rogue = try apis.start("rogue")
        let token = "ghs_" + String(freshToken(18).prefix(36))
        let other = "ASIA" + freshToken(8).uppercased()
        try h.sshOwner("robot")
        try h.secure("robot", "GITHUB_TOKEN", token, sendTo: [a.destination, rogue.destination, plain.destination])
        try h.secure("robot", "OTHER_TOKEN", other, sendTo: [b.destination])
        let listed = try h.ok(["list", "--for", "robot", "--json"]).out
        XCTAssertTrue(listed.contains("\"sendTo\":[\"\(a.destination)\",\"\(plain.destination)\",\"\(rogue.destination)\"]")
                      || listed.contains(a.destination), listed)
        try h.ok(["unlock", "--for", "robot", "--env", "test"])

        let out = h.machine.dir.file("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let script = h.machine.dir.file("client.sh")
        try Data(client.utf8).write(to: script)
        let run = try h.keyrack(["exec", "--for", "robot", "--env", "test", "--key", "GITHUB_TOKEN", "--key", "OTHER_TOKEN", "--proxy",
                                 "--", "/bin/bash", script.path],
                                env: ["SSL_CERT_FILE": apis.caFile.path, "OUT_DIR": out.path, "API_A": a.url, "API_B": b.url, "API_C": c.url,
                                      "API_H": plain.url, "API_R": rogue.url, "PY_VENV": try CloudServers.venvToolPath("python3"), "NO_PROXY": "\(a.destination),localhost,.example.com",
                                      "no_proxy": nil, "HTTPS_PROXY": nil, "https_proxy": nil, "HTTP_PROXY": nil, "http_proxy": nil])
        XCTAssertEqual(run.status, 7, "the program's exit code is keyrack's\n\(run)")
        func file(_ name: String) -> String { (try? String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)) ?? "" }

        // The program's environment holds placeholders of the same shape, never a value.
        // (cat opens /proc/self/environ itself: a shell redirect opens it before the exec, and
        // the kernel then reads the released pre-exec memory: nothing.)
        for name in ["env.txt", "environ.txt"] {
            XCTAssertTrue(file(name).contains("GITHUB_TOKEN=ghs_"), "\(name) holds the placeholder: \(file(name).prefix(200))")
            XCTAssertFalse(file(name).contains(token), name)
            XCTAssertFalse(file(name).contains(other), name)
        }
        let env = environmentLines(file("env.txt"))
        let placeholder = try XCTUnwrap(env["GITHUB_TOKEN"])
        let otherPlaceholder = try XCTUnwrap(env["OTHER_TOKEN"])
        XCTAssertTrue(placeholder.hasPrefix("ghs_") && placeholder.count == token.count && placeholder != token, placeholder)
        XCTAssertTrue(otherPlaceholder.hasPrefix("ASIA") && otherPlaceholder.count == other.count && otherPlaceholder != other, otherPlaceholder)
        XCTAssertEqual(file("no-proxy.txt"), "localhost,.example.com\n", "NO_PROXY must not send an allowed host around the proxy")

        // The allowed server got the value: Bearer, query, Basic, JSON body, Python's urllib.
        let got = try a.requests()
        XCTAssertEqual(got.count, 7, String(a.everything().prefix(2000)) + run.err)
        let byPath = Dictionary(got.map { (($0["path"] as! String).split(separator: "?")[0].description, $0) }, uniquingKeysWith: { x, _ in x })
        func header(_ path: String, _ name: String) -> String? { (byPath[path]?["headers"] as? [String: String])?[name] }
        XCTAssertEqual(header("/bearer", "authorization"), "Bearer \(token)")
        XCTAssertEqual(byPath["/bearer"]?["path"] as? String, "/bearer?token=\(token)")
        XCTAssertEqual(header("/bearer", "x-other"), otherPlaceholder, "another key's placeholder travels untouched to a host not its own")
        XCTAssertEqual(header("/basic", "authorization"), "Basic " + Data("x-access-token:\(token)".utf8).base64EncodedString())
        XCTAssertEqual(byPath["/json"]?["body"] as? String, "{\"token\": \"\(token)\", \"other\": \"\(otherPlaceholder)\"}")
        XCTAssertEqual(header("/python", "authorization"), "token \(token)")
        XCTAssertEqual(header("/requests", "authorization"), "Bearer \(token)", file("a-requests.txt"))
        // A 200 kB body (curl asks Expect: 100-continue): answered at once, substituted, whole.
        XCTAssertEqual(byPath["/big"]?["body"] as? String, "{\"token\": \"\(token)\", \"pad\": \"" + String(repeating: "x", count: 200_000) + "\"}")
        XCTAssertNil(header("/big", "expect"))
        XCTAssertFalse(a.everything().contains(other), "server A must never see OTHER_TOKEN's value")
        // A server that echoes the request back hands the program the placeholder, not the value.
        XCTAssertEqual(header("/echo", "authorization"), "Bearer \(token)")
        XCTAssertEqual(file("echo.txt"), String(repeating: "echo: Bearer \(placeholder)\n", count: 3000))
        XCTAssertTrue(file("echo-headers.txt").lowercased().contains("x-echo: bearer \(placeholder.lowercased())"), file("echo-headers.txt"))
        XCTAssertFalse(file("echo-headers.txt").contains(token))
        XCTAssertTrue(file("a-bearer.txt").hasPrefix("ok from \(a.port)"), file("a-bearer.txt"))

        // A server the key may not go to gets the placeholder, whether the proxy opens the
        // connection (B: another key's host) or only tunnels it (C: no key names it).
        XCTAssertEqual(try b.authorizations().first, "Bearer \(placeholder)", b.everything() + file("b.txt"))
        XCTAssertEqual(try c.authorizations().first, "Bearer \(placeholder)", c.everything() + file("c.txt"))
        XCTAssertFalse(b.everything().contains(token) || c.everything().contains(token))
        // Plain http to a loopback destination the key allows: substituted (it never leaves the machine).
        XCTAssertEqual(try plain.authorizations().first, "Bearer \(token)", file("h.txt"))

        // A SigV4-signed request over a placeholder that is no AWS key pair of this run is refused,
        // not forwarded with a broken signature.
        XCTAssertEqual(file("sigv4.txt"), "403")
        XCTAssertNil(byPath["/sigv4"])
        // A server with an untrusted certificate gets nothing; the program gets a 502 saying why.
        XCTAssertEqual(file("rogue.txt"), "502")
        XCTAssertTrue(file("rogue-body.txt").contains("not trusted"), file("rogue-body.txt"))
        XCTAssertEqual(try rogue.requests().count, 0)

        // The run's CA: only its certificate was on disk, in a private directory gone after the run.
        XCTAssertEqual(file("cadir.txt"), "ca-bundle.pem\n")
        let caDir = file("cadir-path.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(caDir.isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: caDir), "the run's CA directory must be removed at the end")

        // The proxy ended with the run: its port refuses connections.
        let proxyURL = file("proxy.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try XCTUnwrap(UInt16(proxyURL.split(separator: ":").last ?? ""), proxyURL)
        XCTAssertTrue(proxyURL.hasPrefix("http://127.0.0.1:"), proxyURL)
        XCTAssertFalse(CloudServers.waitForListener(port, seconds: 0.2, alive: { true }), "the proxy must be gone after the run")
        XCTAssertFalse(run.err.contains(token) || run.out.contains(token), "no value in keyrack's own output")

        // The owner's access log (issue 31): one record per request that carried values, written
        // by the daemon before the request left, naming the host, the count and the key, never a
        // value. Server A took 7 requests, /bearer with two values (header and query), the others
        // one; the plain-http destination one; B (the key's placeholder only) and C (a tunnel) none.
        let substitutions = try h.shownAuditRecords("robot").filter { $0["event"] as? String == "proxy-substitution" }
        let shown = "\(substitutions)"
        func records(_ port: UInt16) -> [[String: Any]] { substitutions.filter { $0["port"] as? Int == Int(port) } }
        XCTAssertEqual(records(a.port).count, 7, shown)
        XCTAssertEqual(records(a.port).map { $0["substitutions"] as? Int ?? 0 }.sorted(), [1, 1, 1, 1, 1, 1, 2], shown)
        XCTAssertEqual(records(plain.port).map { $0["substitutions"] as? Int ?? 0 }, [1], shown)
        XCTAssertEqual(records(b.port).count + records(c.port).count, 0, shown)
        for r in records(a.port) + records(plain.port) {
            XCTAssertEqual(r["host"] as? String, "127.0.0.1")
            XCTAssertEqual(r["keys"] as? [String], ["acme.test.GITHUB_TOKEN"])
            // The requester is the `keyrack exec` that runs the proxy.
            XCTAssertEqual((r["requester"] as? [String: Any])?["command"] as? String, "exec", "\(r)")
        }
        let log = try String(contentsOf: h.auditLog("robot"), encoding: .utf8)
        XCTAssertTrue(log.contains("\"event\":\"proxy-substitution\""))
        XCTAssertFalse(log.contains(token) || log.contains(other), "no value in the access log")
        XCTAssertFalse(log.contains(placeholder) || log.contains(otherPlaceholder), "nor a placeholder")
        XCTAssertTrue(try h.ok(["audit", "verify", "--for", "robot"]).out.contains("chain intact"))
    }

    func testAWSCLISignsWithPlaceholdersAndTheProxyReSignsWithTheRealKeys() throws {
        let keyID = "ASIA" + freshToken(8).uppercased()
        let secret = String((freshToken(15) + "/+Ab").prefix(40))
        let token = "IQoJb3JpZ2luX2VjE" + freshToken(40) + "+/=="
        let server = try SigV4Server.start(apis, keyID: keyID, secret: secret, token: token)
        defer { server.process.terminate(); server.process.waitForExit() }
        let destination = "127.0.0.1:\(server.port)"
        try h.unlockedOwner("robot", [("AWS_ACCESS_KEY_ID", keyID), ("AWS_SECRET_ACCESS_KEY", secret), ("AWS_SESSION_TOKEN", token)], sendTo: [destination])
        let aws = try CloudServers.awsCLI()
        let run = try h.keyrack(["exec", "--for", "robot", "--env", "test", "--key", "AWS_ACCESS_KEY_ID", "--key", "AWS_SECRET_ACCESS_KEY",
                                 "--key", "AWS_SESSION_TOKEN", "--proxy", "--",
                                 aws, "sts", "get-caller-identity", "--endpoint-url", "https://\(destination)", "--region", "us-east-1", "--output", "json"],
                                env: ["SSL_CERT_FILE": apis.caFile.path, "NO_PROXY": nil, "no_proxy": nil, "AWS_PROFILE": nil,
                                      "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(run.out.contains("arn:aws:iam::123456789012:user/keycard"), run.out)
        let lines = (try String(contentsOf: server.log, encoding: .utf8)).split(separator: "\n")
        let seen = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(seen.count, 1, "\(seen)")
        XCTAssertEqual(seen.first?["valid"] as? Bool, true, "botocore's signer must accept the proxy's signature: \(seen)")
        XCTAssertEqual(seen.first?["keyID"] as? String, keyID)
        XCTAssertEqual(seen.first?["token"] as? String, token)
        XCTAssertFalse(run.out.contains(secret) || run.err.contains(secret) || run.err.contains(token))
    }

    func testProgramMemoryNeverHoldsTheValueEvenWhenTheServerEchoesIt() throws {
        let a = try apis.start("https")
        let token = "ghs_" + String(freshToken(18).prefix(36))
        try h.unlockedOwner("robot", [("GITHUB_TOKEN", token)], sendTo: [a.destination])
        let release = h.machine.dir.file("release")
        XCTAssertEqual(mkfifo(release.path, 0o600), 0)
        let program = #"""
        import os, urllib.request
        r = urllib.request.Request(os.environ["API_A"] + "/echo", headers={"Authorization": "Bearer " + os.environ["GITHUB_TOKEN"]})
        body = urllib.request.urlopen(r).read()
        print("ready", os.getpid(), len(body), flush=True)
        open(os.environ["RELEASE"]).read()
        """#
        let env = h.environment.merging(["SSL_CERT_FILE": apis.caFile.path, "API_A": a.url, "RELEASE": release.path, "NO_PROXY": nil, "no_proxy": nil]) { $1 }
        let child = try PipedChild(Run.keyrackBinary, ["exec", "--for", "robot", "--env", "test", "--key", "GITHUB_TOKEN", "--proxy", "--",
                                                      "/usr/bin/python3", "-c", program], environment: env, cwd: h.machine.dir.path)
        let ready = try XCTUnwrap(child.line(), "the program did not say it was ready").split(separator: " ")
        let pid = try XCTUnwrap(Int32(ready[1]))
        XCTAssertGreaterThan(Int(ready[2]) ?? 0, 100_000, "it read the whole echoed answer")
        let scan = try processMemory(of: pid, contains: Array(token.utf8))
        XCTAssertFalse(scan.found, "the program's memory must never hold the value")
        XCTAssertGreaterThan(scan.bytesRead, 1 << 20)
        let placeholderSeen = try processMemory(of: pid, contains: Array("Bearer ghs_".utf8))
        XCTAssertTrue(placeholderSeen.found, "the scan does see what the program holds (its placeholder)")
        try Data("go\n".utf8).write(to: release)
        XCTAssertEqual(child.waitForExit(), 0)
        XCTAssertTrue(a.everything().contains("Bearer \(token)"), "the server did get the value")
    }

    func testGitLsRemoteAndCloneCarryTheValueOnlyToTheGitHost() throws {
        let root = h.machine.dir.file("git-root")
        let seed = h.machine.dir.file("seed")
        try FileManager.default.createDirectory(at: seed, withIntermediateDirectories: true)
        let git = { (args: [String], cwd: URL) throws -> RunResult in
            try Run.process("/usr/bin/git", args, environment: ["HOME": self.h.machine.home.path, "GIT_CONFIG_NOSYSTEM": "1",
                                                                 "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                                                                 "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"], currentDirectory: cwd)
        }
        XCTAssertEqual(try git(["init", "-q", "-b", "main", seed.path], h.machine.dir.url).status, 0)
        try Data("hello\n".utf8).write(to: seed.appendingPathComponent("README"))
        XCTAssertEqual(try git(["add", "README"], seed).status, 0)
        XCTAssertEqual(try git(["commit", "-qm", "first"], seed).status, 0)
        XCTAssertEqual(try git(["clone", "-q", "--bare", seed.path, root.appendingPathComponent("app.git").path], h.machine.dir.url).status, 0)
        let server = try apis.startGit(root: root)
        let token = "ghs_" + String(freshToken(18).prefix(36))
        try h.unlockedOwner("robot", [("GITHUB_TOKEN", token)], sendTo: [server.destination])
        let script = #"""
        set -eu
        git -c http.extraHeader="Authorization: Bearer $GITHUB_TOKEN" ls-remote "$GIT_URL/app.git"
        git -c http.extraHeader="Authorization: Bearer $GITHUB_TOKEN" clone -q "$GIT_URL/app.git" "$CLONE_DIR"
        cat "$CLONE_DIR/README"
        """#
        let run = try h.keyrack(["exec", "--for", "robot", "--env", "test", "--key", "GITHUB_TOKEN", "--proxy", "--", "/bin/bash", "-c", script],
                                env: ["SSL_CERT_FILE": apis.caFile.path, "GIT_URL": server.url, "CLONE_DIR": h.machine.dir.file("clone").path,
                                      "GIT_CONFIG_NOSYSTEM": "1", "NO_PROXY": nil, "no_proxy": nil])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(run.out.contains("refs/heads/main"), run.out)
        XCTAssertTrue(run.out.hasSuffix("hello\n"), run.out)
        let auths = try server.authorizations()
        XCTAssertGreaterThanOrEqual(auths.count, 3, "ls-remote, then the clone's refs and pack requests")
        XCTAssertEqual(Set(auths), ["Bearer \(token)"], "every git request reached the git host with the value")
    }

    func testProxyNeedsEnvAndRefusesCombinationsItCannotKeep() throws {
        // Each combination exec refuses: KeyrackAppTests' ExecRequestTests; here one, end to end (exit 2, its words).
        let refused = try h.keyrack(["exec", "--env", "test", "--proxy", "--mask", "--", "true"])
        XCTAssertEqual(refused.status, 2, "\(refused)")
        XCTAssertTrue(refused.err.contains("--proxy and --mask cannot be combined"), refused.err)
        // A trust store keyrack cannot read fails before any value is fetched, saying which file.
        let unreadable = try h.keyrack(["exec", "--env", "test", "--key", "K", "--proxy", "--upstream-cacert", "/nonexistent/ca.pem", "--", "true"])
        XCTAssertEqual(unreadable.status, 1, "\(unreadable)")
        XCTAssertEqual(unreadable.err, "error: cannot read the CA file /nonexistent/ca.pem: give a readable PEM file (SSL_CERT_FILE, --upstream-cacert)\n")
    }

    func testSendToIsValidatedAtSet() throws {
        try h.sshOwner("robot")
        for bad in ["https://api.github.com", "api.github.com/x", "user@api.github.com", "*.com", "api.github.com:99999"] {
            let r = try h.keyrack(["set", "--for", "robot", "--org", "acme", "--env", "test", "--key", "K", "--vault", "os.secure", "--send-to", bad], stdin: "v")
            XCTAssertEqual(r.status, 2, "\(bad)\n\(r)")
            XCTAssertTrue(r.err.contains("invalid destination '\(bad)'"), r.err)
        }
        try h.ok(["set", "--for", "robot", "--org", "acme", "--env", "test", "--key", "K", "--vault", "os.secure",
                  "--send-to", "api.github.com", "--send-to", "*.githubusercontent.com:8443"], stdin: "v")
        let table = try h.ok(["list", "--for", "robot"]).out
        XCTAssertTrue(table.contains("SEND-TO"), table)
        XCTAssertTrue(table.contains("*.githubusercontent.com:8443,api.github.com"), table)
        let json = try JSONSerialization.jsonObject(with: Data(try h.ok(["list", "--for", "robot", "--json"]).stdout)) as! [String: Any]
        let key = (json["keys"] as! [[String: Any]]).first!
        XCTAssertEqual(key["sendTo"] as? [String], ["*.githubusercontent.com:8443", "api.github.com"])

        // A key with no --send-to: the proxy says so in the CLI's words, and the program runs.
        try h.ok(["set", "--for", "robot", "--org", "acme", "--env", "test", "--key", "NOWHERE", "--vault", "os.secure"], stdin: "v")
        try h.ok(["unlock", "--for", "robot", "--env", "test"])
        let run = try h.keyrack(["exec", "--for", "robot", "--env", "test", "--key", "NOWHERE", "--proxy", "--", "true"])
        XCTAssertEqual(run.status, 0, run.description)
        XCTAssertTrue(run.err.contains("keyrack: NOWHERE has no --send-to: the program gets a placeholder that no request will turn into the value (keyrack set … --send-to HOST)\n"), run.err)
    }
}
