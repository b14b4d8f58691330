import Foundation
@testable import KeyrackCore
import KeyrackNames

/// A manifest with every section and every kind of key field, and every way of damaging one of
/// its lines: ManifestStreamingTests holds the streaming decoder to the tree decoder with them,
/// ManifestSubsetPathTests the subset reader to libyaml.
enum ManifestDamage {
    /// A manifest with every section and every kind of key field.
    static func base() throws -> String {
        let owner = OwnerRecord(name: try OwnerName("seaturtle"), via: .yubikey, pubkey: "age1yubikey1qexample",
                                yubikey: YubiKeySlot(serial: 12345678, slot: "82", pinPolicy: "never", touchPolicy: "never"), uid: 1001)
        var m = HostManifest(owner: owner)
        m.recipients = [BackupRecipient(label: try RecipientLabel("paper-backup"), via: .age, pubkey: "age1paper", addedAt: "2026-01-15T10:00:00Z")]
        for i in 0..<2 {
            let slug = try Slug(validating: "ehmpathy.\(i % 3 == 0 ? "prod" : "test").KEY_\(i)")
            m.keys[slug] = KeyEntry(slug: slug, vault: .osSecure, exid: nil, mech: .permanentViaReplica, maxDuration: nil,
                                    createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-16T10:00:00Z")
            m.secrets[slug] = i == 1 ? [0xff, 0x00, 0x80] : Array("value-\(i)".utf8)
        }
        let op = try Slug(validating: "ehmpathy.sudo.GITHUB_TOKEN")
        m.keys[op] = KeyEntry(slug: op, vault: .onePassword, exid: "op://keyrack/pat/credential", mech: .permanentViaReference,
                              maxDuration: try Duration("30m"), options: ["account": "my.1password.com"],
                              sendTo: [Destination("api.github.com")!, Destination("uploads.github.com:443")!],
                              createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-16T10:00:00Z")
        let bao = try Slug(validating: "@all.prod.DB_PASSWORD")
        m.keys[bao] = KeyEntry(slug: bao, vault: .openBao, exid: "secret/db#password", mech: .permanentViaReference, maxDuration: nil,
                               addr: "https://bao.example:8200", cacert: "/etc/bao/ca.pem", createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-15T10:00:00Z")
        var settings = OpenBaoSettings()
        settings.addr = "https://bao.example:8200"
        m.openbao = settings
        m.auditSeed = [UInt8](repeating: 7, count: 32)
        return String(decoding: try m.encodeYAML(), as: UTF8.self)
    }

    /// Every damaged manifest, named by what was done to which line.
    static func damaged(_ text: String) -> [(what: String, text: String)] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let values = ["null", "~", "", "\"\"", "[a]", "{a: b}", "!!binary aGk=", "!!str x", "&x v", "*x", "!!python/object x",
                      "os.nope", "5x", "x.y", "bench.prod.OTHER", "\"quoted\"", "- a", "'\\xff'"]
        var out: [(String, String)] = []
        func with(_ i: Int, _ replacement: [String]) -> String {
            (lines[..<i] + replacement + lines[(i + 1)...]).joined(separator: "\n")
        }
        for (i, line) in lines.enumerated() where !line.isEmpty {
            let indent = String(line.prefix { $0 == " " })
            out.append(("line \(i + 1) deleted", with(i, [])))
            out.append(("line \(i + 1) doubled", with(i, [line, line])))
            out.append(("unknown field after line \(i + 1)", with(i, [line, indent + "colour: blue"])))
            if let colon = line.firstIndex(of: ":") {
                let head = line[...colon]
                for value in values { out.append(("line \(i + 1) set to '\(value)'", with(i, [head + " " + value]))) }
                // The key itself changed: to another slug, to no slug, to a tagged key.
                for key in ["ehmpathy.test.KEY_99", "not-a-slug", "!!binary aGk="] {
                    out.append(("key of line \(i + 1) set to '\(key)'", with(i, [indent + key + line[colon...]])))
                }
            }
        }
        return out
    }

}
