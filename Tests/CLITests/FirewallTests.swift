import Foundation
import TestSupport
import XCTest

/// Issue 10, item 6: the firewall matches what leaks (every long-lived token family, after
/// trimming whitespace; `set` warns when it stores one), and sudo grants are capped at 30 m
/// unless the key's own maxDuration says more.
final class FirewallTests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    private func random(_ n: Int) -> String {
        String((0..<n).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
    }

    func testEveryLongLivedTokenFamilyIsRefusedEvenWithSurroundingWhitespace() throws {
        try h.sshOwner("bot")
        // Made at test time, shaped like the real thing; whitespace as a paste leaves it.
        let tokens: [(String, String)] = [
            ("GH_CLASSIC", " ghp_" + random(36)), ("GH_FINE", "github_pat_" + random(22) + "_" + random(59) + "\n"),
            ("GH_OAUTH", "gho_" + random(36)), ("GH_USER", "ghu_" + random(36)), ("GH_REFRESH", "ghr_" + random(36)),
            ("AWS", "\tAKIA" + random(16).uppercased()), ("GITLAB", "glpat-" + random(20)),
            ("SLACK_BOT", "xoxb-" + random(24)), ("SLACK_USER", "xoxp-" + random(24)), ("SLACK_APP", "xoxa-" + random(24)),
        ]
        for (key, token) in tokens {
            let set = try h.ok(["set", "--for", "bot", "--key", key, "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: token)
            XCTAssertTrue(set.err.contains("warning: acme.test.\(key) looks like"), "set must warn for \(key): \(set.err)")
        }
        try h.ok(["set", "--for", "bot", "--key", "INSTALL", "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: "ghs_" + random(36))
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        for (key, token) in tokens {
            let r = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.\(key)", "--value"])
            print("get \(key) -> exit \(r.status): \(r.err)")
            XCTAssertEqual(r.status, 3, "\(key): \(r)")
            XCTAssertEqual(r.out, "")
            XCTAssertFalse(r.err.contains(token.trimmingCharacters(in: .whitespacesAndNewlines)), r.err)
            XCTAssertTrue(r.err.contains("which keyrack refuses to hand out"), r.err)
            let source = try h.keyrack(["source", "--for", "bot", "--env", "test", "--key", key])
            XCTAssertEqual(source.status, 3, "\(key): \(source)")
            XCTAssertEqual(source.out, "")
            // (stdin's one trailing newline is not part of a value)
            XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.\(key)", "--value", "--allow-dangerous"]).out,
                           token.hasSuffix("\n") ? String(token.dropLast()) : token)
        }
        // A GitHub App installation token is short-lived by design: handed out.
        XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.INSTALL", "--value"]).status, 0)
    }

    /// Issue 24: a token is found anywhere in a value (after `Bearer `, in a URL's userinfo, as an
    /// .npmrc `_authToken=`, on a later line, in quotes, after a NBSP or a BOM), at a word
    /// boundary; short-lived `ghs_`/`ASIA` and words that merely contain a prefix still pass.
    func testTokensAnywhereInAValueAreRefusedAtAWordBoundary() throws {
        try h.sshOwner("bot")
        let ghp = "ghp_" + random(36), npm = "npm_" + random(36), akia = "AKIA" + random(16).uppercased()
        let refused: [(String, String)] = [
            ("BEARER", "Bearer " + ghp), ("URL", "https://x:\(ghp)@github.com/acme/repo.git"),
            ("NPMRC", "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=\(npm)\n"),
            ("SECOND_LINE", "first line\n" + ghp), ("QUOTED", "\"\(ghp)\""), ("SINGLE_QUOTED", "token='\(akia)'"),
            ("NBSP", "\u{a0}" + ghp), ("BOM", "\u{feff}" + akia), ("JSON", "{\"key\":\"\(akia)\",\"n\":1}"),
        ]
        let passed: [(String, String)] = [
            ("INSTALL", "Bearer ghs_" + random(36)), ("STS", "ASIA" + random(16).uppercased()),
            ("SKIP_LIVE", "skip_live_" + random(24)), ("MASK_LIVE", "mask_live_" + random(24)),
            ("INSIDE_WORD", "NOTAKIA" + random(16).uppercased()), ("UNDERSCORED", "x_" + ghp),
            ("SHORT", "AKIAX"), ("NPM_CONFIG", "npm_config_registry=https://registry.npmjs.org/"),
        ]
        for (key, value) in refused + passed {
            try h.ok(["set", "--for", "bot", "--key", key, "--env", "test", "--org", "acme", "--vault", "os.secure"], stdin: value)
        }
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        for (key, value) in refused {
            let r = try h.keyrack(["get", "--for", "bot", "--key", "acme.test.\(key)", "--value"])
            XCTAssertEqual(r.status, 3, "\(key): \(r)")
            XCTAssertEqual(r.out, "", key)
            XCTAssertTrue(r.err.contains("which keyrack refuses to hand out"), "\(key): \(r.err)")
            XCTAssertFalse(r.err.contains(ghp) || r.err.contains(npm) || r.err.contains(akia), r.err)
            let trimmed = value.hasSuffix("\n") ? String(value.dropLast()) : value
            XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.\(key)", "--value", "--allow-dangerous"]).out, trimmed, key)
        }
        for (key, value) in passed {
            XCTAssertEqual(try h.ok(["get", "--for", "bot", "--key", "acme.test.\(key)", "--value"]).out, value, key)
        }
    }
}
