import XCTest
@testable import KeyrackCore
import KeyrackYAML
import KeyrackNames

/// `HostManifest.decode` reads `keys:` and `secrets:` from libyaml's events (KeyEntryReader),
/// not from a tree: it must accept what the tree decoder accepted, as the same manifest, and
/// refuse what it refused, with the same line and words. Each manifest here is a valid one with
/// one line damaged (deleted, doubled, its value replaced, an unknown field added after it), and
/// both decoders must agree on every one (TreeManifestReference is the tree decoder as it was).
///
/// One difference is by design: the tree decoder read the whole document before it looked at a
/// field, so damage to the YAML itself (a duplicate key, broken syntax, an alias) anywhere in
/// the file was named before a field's. The streaming decoder names the first damage in the
/// file's order. Where one damaged line is both (a doubled `owner:` is a duplicate key, and the
/// first `owner:` is then empty), the streaming decoder refuses too, naming a line no later.
final class ManifestStreamingTests: XCTestCase {
    /// A manifest with every section and every kind of key field.
    private func base() throws -> String {
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

    /// What a decoder makes of `text`: the manifest, or its refusal as it is shown.
    private enum Outcome: Equatable {
        case accepted(HostManifest)
        case refused(String)
    }

    private func outcome(_ decode: ([UInt8]) throws -> HostManifest, _ text: String) -> Outcome {
        do { return .accepted(try decode(Array(text.utf8))) } catch { return .refused("\(error)") }
    }

    /// Every damaged manifest, named by what was done to which line.
    private func damaged(_ text: String) -> [(what: String, text: String)] {
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

    /// The line of a refusal of the YAML itself (what the tree reader found before any field), nil for others.
    private func yamlLevelLine(_ refusal: String) -> Int? {
        let yamlLevel = ["not valid YAML", "duplicate key", "YAML aliases", "YAML anchors", "unsupported YAML tag", "nesting deeper",
                         "mapping keys must be", "the file holds more than one"]
        return yamlLevel.contains { refusal.contains(": \($0)") } ? line(refusal) : nil
    }

    private func line(_ refusal: String) -> Int {
        Int(refusal.dropFirst("line ".count).prefix { $0.isNumber }) ?? 0
    }

    func testTheStreamingDecoderAgreesWithTheTreeDecoderOnEveryDamagedLine() throws {
        let text = try base()
        XCTAssertEqual(outcome(HostManifest.decode, text), outcome(TreeManifestReference.decode, text))
        guard case .accepted = outcome(HostManifest.decode, text) else { return XCTFail("the base manifest must load") }
        var refused = 0
        for (what, damaged) in damaged(text) {
            let streamed = outcome(HostManifest.decode, damaged), tree = outcome(TreeManifestReference.decode, damaged)
            if case .refused(let treeRefusal) = tree, let treeLine = yamlLevelLine(treeRefusal) {
                guard case .refused(let streamRefusal) = streamed else { XCTFail("\(what): accepted, the tree refused: \(treeRefusal)"); continue }
                XCTAssertLessThanOrEqual(line(streamRefusal), treeLine, "\(what): \(streamRefusal) / \(treeRefusal)")
            } else {
                XCTAssertEqual(streamed, tree, what)
            }
            if case .refused = tree { refused += 1 }
        }
        XCTAssertGreaterThan(refused, 300, "the damage must reach the refusals")
    }
}
