import XCTest
@testable import KeyrackCore
import TestSupport
import KeyrackNames
import KeyrackYAML

/// The typed layer: a manifest survives encode → decode exactly, and anything keyrack did not
/// write (unknown fields, a newer version, inconsistent slugs) is refused with its line.
final class HostManifestCodecTests: XCTestCase {
    private func sample() throws -> HostManifest {
        let owner = OwnerRecord(name: try OwnerName("seaturtle"), via: .yubikey, pubkey: "age1yubikey1qexample",
                                yubikey: YubiKeySlot(serial: 12345678, slot: "82", pinPolicy: "never", touchPolicy: "never"), uid: 1001)
        let slug = try Slug(validating: "ehmpathy.sudo.GITHUB_TOKEN")
        let secretSlug = try Slug(validating: "@all.prod.aws.profile")
        var m = HostManifest(owner: owner)
        m.recipients = [BackupRecipient(label: try RecipientLabel("paper-backup"), via: .age, pubkey: "age1paper", addedAt: "2026-01-15T10:00:00Z")]
        m.keys[slug] = KeyEntry(slug: slug, vault: .onePassword, exid: "op://keyrack/seaturtle-pat/credential", mech: .permanentViaReference,
                                maxDuration: try Duration("30m"), createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-16T10:00:00Z")
        m.keys[secretSlug] = KeyEntry(slug: secretSlug, vault: .osSecure, exid: nil, mech: .permanentViaReplica, maxDuration: nil,
                                      createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-15T10:00:00Z")
        m.secrets[secretSlug] = Array("line1\n\"quoted\" # not a comment\u{0}\r\n  ".utf8) + [0xff]
        return m
    }

    func testRoundTripIsExactAndStable() throws {
        let m = try sample()
        let yaml = try m.encodeYAML()
        let back = try HostManifest.decode(yaml: yaml)
        XCTAssertEqual(back, m)
        XCTAssertEqual(try back.encodeYAML(), yaml, "a second write must be byte-identical")
    }

    /// The access log's card (`keyrack audit anchor`) survives the round trip; a card key that
    /// is not a P-256 point is refused.
    func testTheAuditCardRoundTripsAndABadKeyIsRefused() throws {
        var m = try sample()
        m.auditSeed = [UInt8](repeating: 7, count: 32)
        m.auditCard = AuditCardKey(slot: "9a", serial: 12345678, publicKey: [4] + (1...64).map { UInt8($0) })
        let yaml = try m.encodeYAML()
        XCTAssertEqual(try HostManifest.decode(yaml: yaml), m)
        let text = String(decoding: yaml, as: UTF8.self)
        XCTAssertTrue(text.contains("cardKey: \"040102"), text)
        let bad = text.replacingOccurrences(of: "cardKey: \"04", with: "cardKey: \"")
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(bad.utf8))) { error in
            XCTAssertTrue("\(error)".contains("audit.cardKey is not a P-256 point"), "\(error)")
        }
    }

    func testTheAuditTPMKeyRoundTripsAndAMissingBlobIsRefused() throws {
        var m = try sample()
        m.auditSeed = [UInt8](repeating: 7, count: 32)
        m.auditCard = AuditCardKey(slot: AuditCardKey.tpmSlot, serial: nil, publicKey: [4] + (1...64).map { UInt8($0) },
                                   tpm: AuditTPMKey(publicBlob: [0, 2, 9, 9], privateBlob: [0, 3, 1, 2, 3], parentName: [0, 1, 0xB], hasPIN: true))
        let yaml = try m.encodeYAML()
        XCTAssertEqual(try HostManifest.decode(yaml: yaml), m)
        let text = String(decoding: yaml, as: UTF8.self)
        XCTAssertTrue(text.contains("cardSlot: \"tpm\"") || text.contains("cardSlot: tpm"), text)
        XCTAssertTrue(text.contains("tpmPIN: \"true\"") || text.contains("tpmPIN: true"), text)
        let bad = text.split(separator: "\n").filter { !$0.contains("tpmPrivate") }.joined(separator: "\n")
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(bad.utf8))) { error in
            XCTAssertTrue("\(error)".contains("tpmPrivate"), "\(error)")
        }
    }

    func testEveryByteStringSecretRoundTrips() throws {
        var m = try sample()
        let slug = try Slug(validating: "x.test.K")
        for _ in 0..<200 {
            let value = randomBytes(Int.random(in: 1...64))
            m.secrets[slug] = value
            XCTAssertEqual(try HostManifest.decode(yaml: try m.encodeYAML()).secrets[slug], value)
        }
    }

    private func refusal(_ yaml: String) -> String {
        do { _ = try HostManifest.decode(yaml: Array(yaml.utf8)); return "accepted" } catch { return "\(error)" }
    }

    private let minimal = """
    version: 1
    owner:
      name: seaturtle
      via: ssh
      pubkey: ssh-ed25519 AAAA seaturtle
    recipients: []
    keys: {}
    secrets: {}

    """

    func testMinimalParses() throws {
        let m = try HostManifest.decode(yaml: Array(minimal.utf8))
        XCTAssertEqual(m.owner.name.value, "seaturtle")
        XCTAssertEqual(m.owner.via, .ssh)
        XCTAssertTrue(m.keys.isEmpty)
    }

    func testUnknownFieldIsRefusedNotDropped() {
        XCTAssertEqual(refusal(minimal + "colour: blue\n"), "line 9: unknown field 'colour' in manifest")
        let inOwner = minimal.replacingOccurrences(of: "  via: ssh\n", with: "  via: ssh\n  nickname: turtle\n")
        XCTAssertEqual(refusal(inOwner), "line 5: unknown field 'nickname' in owner")
    }

    func testNewerVersionIsRefused() {
        let v2 = minimal.replacingOccurrences(of: "version: 1", with: "version: 2") + "future: {}\n"
        XCTAssertEqual(refusal(v2), "line 1: manifest version 2 was written by a newer keyrack (this one reads version 1): upgrade keyrack; nothing was changed")
        // The problem and the fix apart, so a caller can render either on its own.
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(v2.utf8))) { error in
            let yaml = error as? YAMLError
            XCTAssertEqual(yaml?.problem, "manifest version 2 was written by a newer keyrack (this one reads version 1)")
            XCTAssertEqual(yaml?.fix, "upgrade keyrack; nothing was changed")
        }
    }

    func testInconsistentOrInvalidEntriesAreRefused() {
        let key = """
        keys:
          a.prod.K:
            slug: b.prod.K
            env: prod
            org: b
            vault: os.envvar
            exid: null
            mech: PERMANENT_VIA_REPLICA
            createdAt: x
            updatedAt: x

        """
        XCTAssertTrue(refusal(minimal.replacingOccurrences(of: "keys: {}\n", with: key)).contains("holds slug 'b.prod.K'; the two must match"))
        let badVault = key.replacingOccurrences(of: "slug: b.prod.K", with: "slug: a.prod.K").replacingOccurrences(of: "org: b", with: "org: a")
            .replacingOccurrences(of: "os.envvar", with: "os.nope")
        XCTAssertTrue(refusal(minimal.replacingOccurrences(of: "keys: {}\n", with: badVault)).contains("invalid vault 'os.nope'"))
        XCTAssertTrue(refusal(minimal.replacingOccurrences(of: "name: seaturtle", with: "name: ../etc")).contains("invalid owner name"))
        XCTAssertTrue(refusal(minimal.replacingOccurrences(of: "via: ssh", with: "via: carrier-pigeon")).contains("unknown via 'carrier-pigeon'"))
        XCTAssertTrue(refusal("version: 1\n").contains("manifest.owner is missing"))
        XCTAssertTrue(refusal("- a\n").contains("must be a mapping"))
        XCTAssertTrue(refusal(minimal.replacingOccurrences(of: "version: 1", with: "version: \"1\"")).contains("must be a whole number"))
    }
}
