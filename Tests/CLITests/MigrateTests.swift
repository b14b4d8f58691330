import Foundation
import TestSupport
import XCTest

/// `keyrack migrate` (issue 28) end to end: the TypeScript keyrack's default file (TestSupport's
/// TypeScriptKeyrackFixture, made with Debian's `age`) migrated by the built keyrack, then unlocked
/// and read through the daemon. What migrate carries and refuses: KeyrackAppTests'
/// TypeScriptMigrationTests.
final class MigrateTests: XCTestCase {
    private typealias TS = TypeScriptKeyrackFixture

    /// The TypeScript tool's default recipient for a passphrase-less ed25519 ssh key: the
    /// Montgomery form u = (1 + y) / (1 − y) of the Ed25519 key as a plain `age1…`, computed
    /// here in Python (BIP-173 bech32), independent of keyrack's code.
    func derivedAgeRecipient(sshPub: String) throws -> String {
        let script = """
        import base64, sys
        blob = base64.b64decode(sys.argv[1].split()[1]); pub = blob[-32:]
        p = 2**255 - 19
        y = int.from_bytes(pub, 'little') & ((1 << 255) - 1)
        u = (1 + y) * pow(1 - y, p - 2, p) % p
        data = u.to_bytes(32, 'little')
        CH = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'
        def polymod(v):
            g = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]; c = 1
            for x in v:
                b = c >> 25; c = (c & 0x1ffffff) << 5 ^ x
                for i in range(5): c ^= g[i] if (b >> i) & 1 else 0
            return c
        acc = 0; bits = 0; five = []
        for b in data:
            acc = (acc << 8) | b; bits += 8
            while bits >= 5: bits -= 5; five.append((acc >> bits) & 31)
        if bits: five.append((acc << (5 - bits)) & 31)
        hrp = 'age'
        exp = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
        pm = polymod(exp + five + [0] * 6) ^ 1
        print(hrp + '1' + ''.join(CH[d] for d in five + [(pm >> 5 * (5 - i)) & 31 for i in range(6)]))
        """
        let r = try Run.process("python3", ["-c", script, sshPub])
        XCTAssertEqual(r.status, 0, r.description)
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The TypeScript tool's default: the manifest and its os.secure values encrypted to the
    /// age recipient derived from ~/.ssh/id_ed25519 (no ssh stanza). migrate finds the key by
    /// itself, opens them with the derived identity, and the new owner's primary is the ssh key.
    func testMigrateOpensTheSshDerivedAgeRecipientTheTypeScriptToolUsedByDefault() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let m = h.machine
        let sshKey = try m.sshKey("id_ed25519")
        let sshPub = try String(contentsOf: URL(fileURLWithPath: sshKey.path + ".pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let derived = try derivedAgeRecipient(sshPub: sshPub)
        XCTAssertTrue(derived.hasPrefix("age1") && derived.count == 62, derived)
        let slug = "ehmpathy.prep.XAI_API_KEY", value = randomSecret("derived")
        try TS.seal(try TS.manifestJSON(owner: nil, uri: "~/.rhachet/keyrack/keyrack.host.age",
                                  recipients: [["mech": "age", "pubkey": derived, "label": "default", "addedAt": "2026-03-01T10:00:00.000Z"]],
                                  hosts: [slug: TS.host(slug, vault: "os.secure", mech: "PERMANENT_VIA_REPLICA")]),
                 to: [derived], at: m.keyrackHome.appendingPathComponent("keyrack.host.age"))
        try TS.sealValue(value, slug: slug, owner: nil, to: [derived], in: m.keyrackHome)
        let header = try String(contentsOf: m.keyrackHome.appendingPathComponent("keyrack.host.age"), encoding: .utf8)
        XCTAssertTrue(header.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----"), header)

        let run = try h.ok(["migrate"])
        XCTAssertTrue(run.out.contains("human: migrated 1 key and 1 backup recipient from \(m.keyrackHome.path)/keyrack.host.age (opened with \(sshKey.path))"), run.out)
        let recipients = try XCTUnwrap(try ManifestHarness.json(try h.ok(["recipient", "list", "--json"]))["recipients"] as? [[String: Any]])
        XCTAssertEqual(recipients.map { "\($0["label"] ?? "") \($0["via"] ?? "") \($0["pubkey"] ?? "")" },
                       ["primary ssh \(sshPub)", "default age \(derived)"])
        try h.ok(["unlock", "--env", "prep"])
        XCTAssertEqual(try h.ok(["get", "--key", slug, "--value"]).out, value)
    }
}
