import Foundation
import TestSupport
import XCTest

/// `keyrack migrate` (issue 28): the TypeScript keyrack's host manifests, written here as its
/// notes give the format (age-armored `JSON.stringify(manifest, null, 2)`, os.secure values in
/// `vault/os.secure/owner=<owner|default>/<sha256(slug)[0..16]>.age`, os.direct values in
/// `keyrack.direct.json`) and encrypted with Debian's `age`, are carried into keyrack manifests.
final class MigrateTests: XCTestCase {
    struct Fixture {
        var secure: [String: String] = [:]      // slug → value (os.secure)
        var direct: [String: String] = [:]      // slug → value (os.direct)
        var hosts: [String: [String: Any]] = [:]
    }

    /// age -a to each recipient (`-R file` for ssh public keys, `-r` for age ones).
    func seal(_ plain: String, to recipients: [String], at url: URL, in dir: TempDirectory) throws {
        let input = try dir.write("plain-\(UUID().uuidString.prefix(6)).txt", Array(plain.utf8))
        defer { try? FileManager.default.removeItem(at: input) }
        let args = recipients.flatMap { $0.hasPrefix("/") ? ["-R", $0] : ["-r", $0] }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let r = try Run.process("age", ["-a"] + args + ["-o", url.path, input.path])
        XCTAssertEqual(r.status, 0, r.description)
    }

    /// The TypeScript tool's slug hash: the first 16 hex digits of SHA-256(slug), by Python's hashlib.
    func hash16(_ slug: String) throws -> String {
        try Run.process("python3", ["-c", "import hashlib,sys;print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:16])", slug])
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func host(_ slug: String, vault: String, mech: String, exid: String? = nil, meta: [String: String]? = nil,
              maxDuration: String? = nil) -> [String: Any] {
        let parts = slug.split(separator: ".", maxSplits: 2).map(String.init)
        return ["slug": slug, "vault": vault, "mech": mech, "exid": exid ?? NSNull(), "env": parts[1], "org": parts[0],
                "meta": meta ?? NSNull(), "maxDuration": maxDuration ?? NSNull(),
                "createdAt": "2026-03-01T10:00:00.000Z", "updatedAt": "2026-03-02T11:30:00.000Z"]
    }

    /// 20 keys of every vault kind keyrack has, plus one github.secrets key it has no vault for.
    func humanFixture() -> Fixture {
        var f = Fixture()
        for slug in ["testorg.prod.API_KEY", "testorg.prod.DB_PASSWORD", "testorg.test.API_KEY", "testorg.all.SHARED",
                     "acme.prod.STRIPE", "acme.prep.STRIPE", "@all.sudo.GITHUB_TOKEN", "testorg.camp.CAMP_KEY"] {
            f.secure[slug] = randomSecret(slug)
            f.hosts[slug] = host(slug, vault: "os.secure", mech: "PERMANENT_VIA_REPLICA", maxDuration: slug.contains("sudo") ? "30m" : nil)
        }
        for slug in ["testorg.prod.REGION", "testorg.test.URL", "acme.all.HOST"] {
            f.direct[slug] = "direct-" + slug
            f.hosts[slug] = host(slug, vault: "os.direct", mech: "PERMANENT_VIA_REPLICA")
        }
        f.hosts["testorg.test.ENV_TOKEN"] = host("testorg.test.ENV_TOKEN", vault: "os.envvar", mech: "PERMANENT_VIA_REPLICA")
        f.hosts["acme.prod.ENV_TOKEN"] = host("acme.prod.ENV_TOKEN", vault: "os.envvar", mech: "PERMANENT_VIA_REPLICA")
        f.hosts["testorg.prod.SESSION"] = host("testorg.prod.SESSION", vault: "os.daemon", mech: "EPHEMERAL_VIA_SESSION", maxDuration: "1h")
        f.hosts["acme.test.SESSION"] = host("acme.test.SESSION", vault: "os.daemon", mech: "EPHEMERAL_VIA_SESSION")
        f.hosts["testorg.prod.OP_TOKEN"] = host("testorg.prod.OP_TOKEN", vault: "1password", mech: "PERMANENT_VIA_REFERENCE", exid: "op://keyrack/api/credential")
        f.hosts["acme.prep.OP_TOKEN"] = host("acme.prep.OP_TOKEN", vault: "1password", mech: "PERMANENT_VIA_REFERENCE", exid: "op://keyrack/prep/password", maxDuration: "5m")
        f.hosts["testorg.prod.PARAM"] = host("testorg.prod.PARAM", vault: "aws.params", mech: "PERMANENT_VIA_REFERENCE",
                                             exid: "/keyrack/infra/vault/aws.params/v1/default/testorg/prod/PARAM", meta: ["region": "eu-west-1"])
        f.hosts["acme.test.PARAM"] = host("acme.test.PARAM", vault: "aws.params", mech: "PERMANENT_VIA_REFERENCE", exid: "/acme/test/PARAM")
        f.hosts["testorg.prod.AWS_PROFILE"] = host("testorg.prod.AWS_PROFILE", vault: "aws.config", mech: "EPHEMERAL_VIA_AWS_SSO",
                                                   exid: "testorg.prod", meta: ["awsSsoUsername": "vlad"])
        f.hosts["testorg.prod.GH_SECRET"] = host("testorg.prod.GH_SECRET", vault: "github.secrets", mech: "PERMANENT_VIA_REPLICA", exid: "org/repo")
        return f
    }

    func manifestJSON(owner: String?, uri: String, recipients: [[String: Any]], hosts: [String: [String: Any]]) throws -> String {
        let object: [String: Any] = ["uri": uri, "owner": owner ?? NSNull(), "recipients": recipients, "hosts": hosts]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }

    /// The TypeScript files: every path under KEYRACK_HOME that migrate must leave byte-identical.
    func oldFiles(_ h: ManifestHarness) throws -> [String: String] {
        try h.snapshot().filter { $0.key.hasPrefix("keyrack.host") || $0.key.hasPrefix("vault") }
    }

    func testMigrateCarriesEveryKeyRecipientAndValueLeavesOldFilesAndReportsWhatCannotMove() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let m = h.machine
        let sshKey = try m.sshKey("id_ed25519")
        let paper = m.dir.file("paper.key"), robotKey = m.dir.file("robot.key"), lost = m.dir.file("lost.key")
        var pubs: [URL: String] = [:]
        for key in [paper, robotKey, lost] {
            XCTAssertEqual(try Run.process("age-keygen", ["-o", key.path]).status, 0)
            pubs[key] = try Run.process("age-keygen", ["-y", key.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let sshPub = try String(contentsOf: URL(fileURLWithPath: sshKey.path + ".pub"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let root = m.keyrackHome

        // Default owner (`human` here): to the ssh key and a paper age key.
        let f = humanFixture()
        let humanRecipients: [[String: Any]] = [
            ["mech": "ssh", "pubkey": sshPub, "label": "default", "addedAt": "2026-03-01T10:00:00.000Z"],
            ["mech": "age", "pubkey": pubs[paper]!, "label": "paper", "addedAt": "2026-03-03T09:00:00.000Z"],
        ]
        let to = [sshKey.path + ".pub", pubs[paper]!]
        try seal(try manifestJSON(owner: nil, uri: "~/.rhachet/keyrack/keyrack.host.age", recipients: humanRecipients, hosts: f.hosts),
                 to: to, at: root.appendingPathComponent("keyrack.host.age"), in: m.dir)
        for (slug, value) in f.secure {
            try seal(value, to: to, at: root.appendingPathComponent("vault/os.secure/owner=default/\(try hash16(slug)).age"), in: m.dir)
        }
        let directJSON = try JSONSerialization.data(withJSONObject: f.direct.mapValues { ["value": $0] }, options: .prettyPrinted)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("vault/os.direct/owner=default"), withIntermediateDirectories: true)
        try directJSON.write(to: root.appendingPathComponent("vault/os.direct/owner=default/keyrack.direct.json"))

        // A robot on an age key only; one on a key nobody here has; one damaged file.
        let robotValue = randomSecret("robot")
        try seal(try manifestJSON(owner: "mechanic", uri: "~/.rhachet/keyrack/keyrack.host.mechanic.age",
                                  recipients: [["mech": "age", "pubkey": pubs[robotKey]!, "label": "mechanic", "addedAt": "2026-03-01T10:00:00.000Z"]],
                                  hosts: ["ehmpathy.prep.XAI_API_KEY": host("ehmpathy.prep.XAI_API_KEY", vault: "os.secure", mech: "PERMANENT_VIA_REPLICA")]),
                 to: [pubs[robotKey]!], at: root.appendingPathComponent("keyrack.host.mechanic.age"), in: m.dir)
        try seal(robotValue, to: [pubs[robotKey]!], at: root.appendingPathComponent("vault/os.secure/owner=mechanic/\(try hash16("ehmpathy.prep.XAI_API_KEY")).age"), in: m.dir)
        try seal(try manifestJSON(owner: "ghost", uri: "x", recipients: [], hosts: [:]), to: [pubs[lost]!],
                 at: root.appendingPathComponent("keyrack.host.ghost.age"), in: m.dir)
        try FileManager.default.removeItem(at: lost)
        try Data("-----BEGIN AGE ENCRYPTED FILE-----\nnot age at all\n".utf8).write(to: root.appendingPathComponent("keyrack.host.broken.age"))

        let old = try oldFiles(m)
        let identities = ["--identity", sshKey.path, "--identity", robotKey.path]

        // Before: list points to migrate instead of "not initialised" / a new empty manifest.
        let listed = try h.keyrack(["list", "--for", "mechanic"])
        XCTAssertEqual(listed.status, 2, listed.description)
        XCTAssertTrue(listed.err.contains("keyrack.host.mechanic.age") && listed.err.contains("keyrack migrate --for mechanic"), listed.err)

        // --dry-run writes nothing and says what would move.
        let before = try m.snapshot()
        let dry = try h.keyrack(["migrate", "--all", "--dry-run"] + identities)
        XCTAssertEqual(dry.status, 1, "two owners cannot be migrated: \(dry.description)")
        XCTAssertTrue(dry.out.contains("human: would migrate 20 keys and 1 backup recipient"), dry.out)
        XCTAssertEqual(try m.snapshot(), before, "--dry-run wrote nothing")

        let run = try h.keyrack(["migrate", "--all", "--json"] + identities)
        XCTAssertEqual(run.status, 1, run.description)
        let report = try ManifestHarness.json(run)
        let owners = try XCTUnwrap(report["owners"] as? [[String: Any]])
        let by = Dictionary(uniqueKeysWithValues: owners.map { ($0["owner"] as! String, $0) })
        XCTAssertEqual(owners.map { $0["owner"] as? String }, ["human", "broken", "ghost", "mechanic"])
        XCTAssertEqual(by["human"]?["status"] as? String, "migrated")
        XCTAssertEqual(by["human"]?["openedWith"] as? String, sshKey.path)
        XCTAssertEqual((by["human"]?["keys"] as? [[String: String]])?.count, 20)
        XCTAssertEqual(by["human"]?["recipients"] as? [String], ["paper"])
        XCTAssertEqual(by["human"]?["notMoved"] as? [[String: String]],
                       [["subject": "testorg.prod.GH_SECRET", "reason": "vault 'github.secrets' has no keyrack counterpart"]])
        XCTAssertEqual(by["mechanic"]?["status"] as? String, "migrated")
        XCTAssertEqual(by["ghost"]?["status"] as? String, "failed")
        XCTAssertTrue((by["ghost"]?["problem"] as? String)?.hasPrefix("cannot decrypt \(root.path)/keyrack.host.ghost.age") == true, "\(by["ghost"]!)")
        XCTAssertEqual(by["broken"]?["status"] as? String, "failed")
        XCTAssertTrue((by["broken"]?["problem"] as? String)?.contains("is damaged") == true, "\(by["broken"]!)")
        for gone in ["ghost", "broken"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: m.manifest(gone).path), "nothing written for \(gone)")
        }
        XCTAssertEqual(try oldFiles(m), old, "the TypeScript files are byte-identical")

        // Every field round-trips.
        let keys = try XCTUnwrap(try ManifestHarness.json(try h.ok(["list", "--json"]))["keys"] as? [[String: Any]])
        XCTAssertEqual(Set(keys.compactMap { $0["slug"] as? String }), Set(f.hosts.keys).subtracting(["testorg.prod.GH_SECRET"]))
        for key in keys {
            let slug = key["slug"] as! String
            let want = try XCTUnwrap(f.hosts[slug])
            for field in ["vault", "mech", "env", "org", "exid", "maxDuration", "createdAt", "updatedAt"] {
                XCTAssertEqual("\(key[field] ?? "absent")", "\(want[field] ?? "absent")", "\(slug) \(field)")
            }
        }
        let recipients = try XCTUnwrap(try ManifestHarness.json(try h.ok(["recipient", "list", "--json"]))["recipients"] as? [[String: Any]])
        XCTAssertEqual(recipients.map { "\($0["label"] ?? "") \($0["pubkey"] ?? "")" }, ["primary \(sshPub)", "paper \(pubs[paper]!)"])
        XCTAssertEqual(try m.ageDecrypt("human", identity: paper).status, 0, "the paper key still opens the owner's manifest")

        // Values are there after unlock: os.secure from the vault files, os.direct from its JSON.
        try h.ok(["unlock", "--env", "prod"])
        for slug in ["testorg.prod.API_KEY", "testorg.prod.DB_PASSWORD", "acme.prod.STRIPE", "testorg.all.SHARED"] {
            XCTAssertEqual(try h.ok(["get", "--key", slug, "--value"]).out, f.secure[slug], slug)
        }
        XCTAssertEqual(try h.ok(["get", "--key", "testorg.prod.REGION", "--value"]).out, f.direct["testorg.prod.REGION"])
        try h.ok(["unlock", "--env", "sudo", "--key", "GITHUB_TOKEN"])
        XCTAssertEqual(try h.ok(["get", "--key", "@all.sudo.GITHUB_TOKEN", "--value"]).out, f.secure["@all.sudo.GITHUB_TOKEN"])
        try h.ok(["unlock", "--for", "mechanic", "--env", "prep", "--identity", robotKey.path])
        XCTAssertEqual(try h.ok(["get", "--for", "mechanic", "--key", "ehmpathy.prep.XAI_API_KEY", "--value"]).out, robotValue)

        // A second run changes nothing: the migrated owners are refused, never overwritten.
        let after = try m.snapshot()
        let again = try h.keyrack(["migrate", "--for", "human"] + identities)
        XCTAssertEqual(again.status, 1, again.description)
        XCTAssertTrue(again.out.contains("human: not migrated: owner human already has a keyrack manifest"), again.out)
        XCTAssertTrue(again.out.contains("run it again with --replace"), again.out)
        XCTAssertEqual(try m.snapshot(), after)

        // Told to: --replace renames the keyrack owner's files (never deletes them) and migrates again.
        let manifestURL = m.keyrackHome.appendingPathComponent("host.human.yml.age")
        let previous = try Data(contentsOf: manifestURL)
        let replaced = try h.keyrack(["migrate", "--for", "human", "--replace", "--json"] + identities)
        XCTAssertEqual(replaced.status, 0, replaced.description)
        let owner = try XCTUnwrap((try ManifestHarness.json(replaced)["owners"] as? [[String: Any]])?.first)
        XCTAssertEqual(owner["status"] as? String, "migrated")
        let aside = try XCTUnwrap(owner["setAside"] as? [String])
        let asideManifest = try XCTUnwrap(aside.first { $0.hasPrefix(manifestURL.path + ".before-migrate-") }, "\(aside)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: asideManifest)), previous, "the replaced manifest is kept byte for byte")
        XCTAssertTrue(aside.contains { $0.hasPrefix(m.keyrackHome.appendingPathComponent("host.human.recipients.yml").path + ".before-migrate-") }, "\(aside)")
        try h.ok(["unlock", "--env", "prod"])
        XCTAssertEqual(try h.ok(["get", "--key", "testorg.prod.API_KEY", "--value"]).out, f.secure["testorg.prod.API_KEY"])
    }

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
        try seal(try manifestJSON(owner: nil, uri: "~/.rhachet/keyrack/keyrack.host.age",
                                  recipients: [["mech": "age", "pubkey": derived, "label": "default", "addedAt": "2026-03-01T10:00:00.000Z"]],
                                  hosts: [slug: host(slug, vault: "os.secure", mech: "PERMANENT_VIA_REPLICA")]),
                 to: [derived], at: m.keyrackHome.appendingPathComponent("keyrack.host.age"), in: m.dir)
        try seal(value, to: [derived], at: m.keyrackHome.appendingPathComponent("vault/os.secure/owner=default/\(try hash16(slug)).age"), in: m.dir)
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
