import Foundation
import TestSupport
import XCTest

/// `exec --sandbox --proxy` (issue 27): keycards for a sandboxed robot. keyrack's own `exec
/// --proxy` runs as the sandbox's first process (so the sandboxed owner's daemon serves it), its
/// proxy on the loopback the sandbox shares with the host; the robot holds placeholders only.
final class KeycardSandboxTests: XCTestCase {
    private var h: SandboxHarness!
    private var apis: LoopbackAPIs!

    override func setUpWithError() throws {
        h = try SandboxHarness()
        apis = try LoopbackAPIs(dir: h.base.appendingPathComponent("apis"))
    }

    override func tearDown() {
        apis?.stop()
        h?.tearDown()
    }

    func testSandboxedRobotUsesAKeycardThroughItsOwnProxy() throws {
        try h.threeOwnersUnlocked(sandboxed: ["seaturtle"])
        let a = try apis.start("https"), b = try apis.start("https")
        let token = h.tokens["seaturtle"]!
        try h.ok(["set", "--for", "seaturtle", "--key", "API", "--env", "test", "--org", "acme", "--vault", "os.secure", "--send-to", a.destination], stdin: token)
        try h.ok(["unlock", "--for", "seaturtle", "--env", "test"])
        let script = #"""
        set -eu
        curl -sS -H "Authorization: Bearer $API" "$API_A/inside" > /dev/null
        curl -sS -H "Authorization: Bearer $API" "$API_B/elsewhere" > /dev/null
        echo "placeholder=$API"
        """#
        let run = try h.keyrack(["exec", "--for", "seaturtle", "--env", "test", "--key", "API", "--sandbox", "--proxy", "--", "/bin/bash", "-c", script],
                                env: ["SSL_CERT_FILE": apis.caFile.path, "API_A": a.url, "API_B": b.url])
        XCTAssertEqual(run.status, 0, "\(run)")
        let placeholder = run.out.components(separatedBy: "placeholder=").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        XCTAssertEqual(placeholder.count, token.count)
        XCTAssertNotEqual(placeholder, token)
        XCTAssertFalse(run.out.contains(token) || run.err.contains(token))
        XCTAssertEqual(try a.requests().first.flatMap { ($0["headers"] as? [String: String])?["authorization"] }, "Bearer \(token)", run.err)
        XCTAssertEqual(try b.requests().first.flatMap { ($0["headers"] as? [String: String])?["authorization"] }, "Bearer \(placeholder)", run.err)
    }
}
