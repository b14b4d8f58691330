import Foundation
import TestSupport
import XCTest

/// KeyrackCore says which of a key's settings is wrong as a typed remedy; the CLI words it with
/// the option to type (Sources/KeyrackPresentation/Manifest/KeySettingRemedy+Text.swift). The library's
/// side: KeyrackCoreTests/SettingRemedyTests.swift.
final class KeySettingRemedyCLITests: XCTestCase {
    private var h: DaemonHarness!

    override func setUpWithError() throws { h = try DaemonHarness() }
    override func tearDown() { h.tearDown() }

    /// The error's one line, without the `error: ` (or argument parsing's `Error: `) before it.
    private func refusal(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try h.keyrack(args)
        XCTAssertEqual(r.status, 2, "\(args): \(r)", file: file, line: line)
        let first = r.err.split(separator: "\n").first.map(String.init) ?? ""
        return first.hasPrefix("error: ") || first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
    }

    func testSetRefusalsNameTheOptionToType() throws {
        try h.sshOwner("bot")
        let set = ["set", "--for", "bot", "--key", "K", "--env", "sudo"]
        let refusals: [([String], String)] = [
            (["--vault", "1password"],
             "vault 1password needs an external id: pass --exid VAULT/ITEM[/FIELD] (or op://VAULT/ITEM/FIELD), the secret reference to read at unlock"),
            (["--vault", "os.envvar", "--exid", "x"], "vault os.envvar has no external id (only 1password, openbao, aws.params and aws.config do): drop --exid"),
            (["--vault", "os.envvar", "--openbao-addr", "https://bao.example:8200"],
             "an OpenBao address and CA are only used with vault openbao: drop --openbao-addr and --openbao-cacert"),
            (["--vault", "aws.config", "--exid", "a b"],
             "invalid external id 'a b' for vault aws.config: pass --exid PROFILE, the name of an AWS profile (aws configure list-profiles)"),
            (["--vault", "aws.params", "--exid", "/a/b", "--region", "EU"], "invalid region 'EU': pass --region REGION, an AWS region such as eu-west-1"),
            (["--vault", "os.envvar", "--region", "eu-west-1"],
             "region is only used with vault aws.params, not with vault os.envvar and mech PERMANENT_VIA_REPLICA: drop --region"),
            (["--vault", "os.envvar", "--mech", "EPHEMERAL_VIA_AWS_SSO"],
             "mech EPHEMERAL_VIA_AWS_SSO needs vault aws.config, not os.envvar: pass --vault aws.config --exid PROFILE"),
        ]
        for (args, line) in refusals { XCTAssertEqual(try refusal(set + args), line, "\(args)") }
        let noOrg = try refusal(["set", "--for", "bot", "--key", "K", "--env", "prod", "--vault", "os.envvar"])
        XCTAssertTrue(noOrg.hasSuffix(": pass --org ORG (or @all for a machine-wide key)"), noOrg)
        let json = try h.keyrack(set + ["--vault", "os.envvar", "--exid", "x", "--json"])
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any], json.out)
        let error = try XCTUnwrap(report["error"] as? [String: Any], json.out)
        XCTAssertEqual(error["message"] as? String, "vault os.envvar has no external id (only 1password, openbao, aws.params and aws.config do): drop --exid")
        XCTAssertEqual(error["exit"] as? Int, 2)

        let age = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
        XCTAssertEqual(try refusal(["init", "--for", "pq", "--via", "age", "--pq", "--pubkey", age]),
                       "the public key given is a classic age1… key for a post-quantum owner: drop --pq: post-quantum and classic keys never mix in one manifest")
        XCTAssertEqual(try refusal(["init", "--for", "sshbot", "--via", "ssh", "--pubkey", age]),
                       "unsupported public key in the public key given for an ssh owner: --via ssh takes an OpenSSH public key (ssh-ed25519 AAAA… or ssh-rsa AAAA…)")
    }

    func testUnlockWordsTheCapAndTheLockedKeysRemedyWithTheOption() throws {
        try h.sshOwner("bot")
        try h.machine.opItem("op://robots/amb/credential", value: randomSecret("one"))
        let key = ["--for", "bot", "--env", "prod", "--org", "acme"]
        try h.ok(["set"] + key + ["--key", "AMBIGUOUS", "--vault", "1password", "--exid", "robots/amb"])
        try h.machine.opItem("op://robots/amb/password", value: randomSecret("two"))
        try h.ok(["set"] + key + ["--key", "PLAIN", "--vault", "os.secure"], stdin: randomSecret("v"))
        try h.ok(["set", "--for", "bot", "--key", "ROOT", "--env", "sudo", "--vault", "os.secure"], stdin: randomSecret("v"))

        let sudo = try h.ok(["unlock", "--for", "bot", "--env", "sudo", "--key", "ROOT", "--duration", "2h"])
        XCTAssertTrue(sudo.err.contains("note: @all.sudo.ROOT is capped to 30m (the cap of sudo keys; set --max-duration on the key to allow more)\n"), sudo.err)
        let r = try h.ok(["unlock", "--for", "bot", "--env", "prod", "--json"])
        let why = "1password robots/amb: item robots/amb has several credential/password fields (credential, password): set it again with --exid robots/amb/credential"
        XCTAssertTrue(r.err.contains("warning: acme.prod.AMBIGUOUS stays locked: \(why)\n"), r.err)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], r.out)
        let omitted = try XCTUnwrap(report["omitted"] as? [[String: String]], r.out)
        XCTAssertEqual(omitted, [["slug": "acme.prod.AMBIGUOUS", "reason": why]], "--json says what stderr says")
    }
}
