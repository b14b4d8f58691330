import XCTest
@testable import KeyrackCore
import KeyrackNames

/// The openbao vault in the manifest: the MOUNT/PATH#FIELD reference rule, a key's own address
/// and CA, and the owner's `openbao:` defaults, which round-trip exactly and are omitted when
/// unset (so a manifest without OpenBao is byte-identical to before).
final class OpenBaoManifestTests: XCTestCase {
    func testReferenceRule() throws {
        let r = try OpenBaoReference(parsing: "secret/robots/seaturtle#token")
        XCTAssertEqual([r.path, r.field, r.display], ["secret/robots/seaturtle", "token", "openbao:secret/robots/seaturtle#token"])
        XCTAssertEqual(try OpenBaoReference(parsing: "kv/fleet/a.b_c-d#api_key").path, "kv/fleet/a.b_c-d")
        for bad in ["secret/robots", "secret#token", "/secret/a#t", "secret/a/#t", "secret//a#t", "secret/../a#t", "secret/a#",
                    "secret/a b#t", "secret/a#t t", "secret/a#t\n", "secret/a#b#c", String(repeating: "a/", count: 120) + "a#t"] {
            XCTAssertThrowsError(try OpenBaoReference(parsing: bad), bad) { error in
                XCTAssertEqual((error as? KeyrackError)?.kind, .usage)
            }
        }
    }

    func testSetRequestChecksTheReferenceAndTheAddress() throws {
        let slug = try Slug(validating: "fleet.prod.DB")
        let ok = try KeySetRequest(slug: slug, vault: .openBao, exid: "secret/db#password", mech: nil, maxDuration: nil, value: nil,
                                   addr: "https://bao:8200", cacert: "/etc/ca.pem")
        XCTAssertEqual(ok.mech, .permanentViaReference)
        XCTAssertThrowsError(try KeySetRequest(slug: slug, vault: .openBao, exid: nil, mech: nil, maxDuration: nil, value: nil))
        XCTAssertThrowsError(try KeySetRequest(slug: slug, vault: .openBao, exid: "secret/db#p", mech: nil, maxDuration: nil, value: nil, addr: "bao:8200"))
        XCTAssertThrowsError(try KeySetRequest(slug: slug, vault: .osSecure, exid: nil, mech: nil, maxDuration: nil, value: [1], addr: "https://bao:8200"))
    }

    func testDefaultsAndPerKeyServerRoundTripAndAreOmittedWhenUnset() throws {
        let owner = OwnerRecord(name: try OwnerName("seaturtle"), via: .age, pubkey: "age1example")
        let plain = HostManifest(owner: owner)
        XCTAssertFalse(String(decoding: try plain.encodeYAML(), as: UTF8.self).contains("openbao"))

        var m = plain
        let slug = try Slug(validating: "fleet.prod.DB")
        m.keys[slug] = KeyEntry(slug: slug, vault: .openBao, exid: "secret/db#password", mech: .permanentViaReference, maxDuration: nil,
                                addr: "https://bao-2:8200", cacert: "/etc/ca2.pem", createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-15T10:00:00Z")
        var s = OpenBaoSettings()
        s.addr = "https://bao:8200"; s.cacert = "/etc/ca.pem"; s.namespace = "fleet"; s.login = .approle; s.authMount = "approle-robots"
        s.certRole = "seaturtle"; s.slot = "9a"; s.serial = 12345678
        s.roleIdKey = try Slug(validating: "@all.openbao.ROLE_ID"); s.secretIdKey = try Slug(validating: "@all.openbao.SECRET_ID")
        m.openbao = s
        let yaml = try m.encodeYAML()
        let back = try HostManifest.decode(yaml: yaml)
        XCTAssertEqual(back, m)
        XCTAssertEqual(try back.encodeYAML(), yaml)

        let text = String(decoding: yaml, as: UTF8.self)
        XCTAssertTrue(text.contains("\n  login: approle\n"), text)
        let unknown = text.replacingOccurrences(of: "\n  login: approle\n", with: "\n  login: approle\n  password: x\n")
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(unknown.utf8)), "unknown fields are refused")
        let badLogin = text.replacingOccurrences(of: "\n  login: approle\n", with: "\n  login: kerberos\n")
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(badLogin.utf8))) { error in
            XCTAssertTrue("\(error)".contains("use cert, approle, jwt or token"), "\(error)")
        }
    }

    func testJWTLoginSettingsRoundTrip() throws {
        var m = HostManifest(owner: OwnerRecord(name: try OwnerName("ci"), via: .age, pubkey: "age1example"))
        var s = OpenBaoSettings()
        s.addr = "https://bao:8200"; s.login = .jwt; s.authMount = "jwt-github"
        s.jwtRole = "acme-app"; s.jwtAudience = "https://bao.acme.example"; s.jwtSource = .card
        m.openbao = s
        let yaml = try m.encodeYAML()
        let text = String(decoding: yaml, as: UTF8.self)
        XCTAssertTrue(text.contains("\n  login: jwt\n  authMount: jwt-github\n"), text)
        XCTAssertTrue(text.contains("\n  jwtRole: acme-app\n  jwtAudience: ") && text.contains("\n  jwtSource: card\n"), text)
        XCTAssertEqual(try HostManifest.decode(yaml: yaml), m)
        let badSource = text.replacingOccurrences(of: "jwtSource: card", with: "jwtSource: gitlab")
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(badSource.utf8))) { error in
            XCTAssertTrue("\(error)".contains("invalid OpenBao JWT source 'gitlab': use github or card"), "\(error)")
        }
    }

    /// Dynamic secrets: the mechanism belongs to openbao only, the lease role round-trips and is
    /// checked, keys of one path make one group (one read), the note round-trips and is not a
    /// GitHub one, and the grant is cut to the sooner of the lease and the lease token's TTL.
    func testLeaseKeysRoleGroupsNoteAndCap() throws {
        let user = try Slug(validating: "acme.prod.DB_USER"), password = try Slug(validating: "acme.prod.DB_PASSWORD")
        XCTAssertEqual(try KeySetRequest(slug: user, vault: .openBao, exid: "database/creds/app#username", mech: .ephemeralViaOpenBaoLease,
                                         maxDuration: nil, value: nil).mech, .ephemeralViaOpenBaoLease)
        XCTAssertThrowsError(try KeySetRequest(slug: user, vault: .awsParams, exid: "/db/user", mech: .ephemeralViaOpenBaoLease,
                                               maxDuration: nil, value: nil)) { error in
            XCTAssertEqual((error as? KeyrackError)?.problem, "mech EPHEMERAL_VIA_OPENBAO_LEASE needs vault openbao, not aws.params")
            XCTAssertEqual((error as? KeyrackError)?.remedy, .vaultFor(.ephemeralViaOpenBaoLease))
        }

        var m = HostManifest(owner: OwnerRecord(name: try OwnerName("robot"), via: .age, pubkey: "age1example"))
        var s = OpenBaoSettings()
        s.leaseRole = "keyrack-lease"
        m.openbao = s
        let yaml = try m.encodeYAML()
        XCTAssertTrue(String(decoding: yaml, as: UTF8.self).contains("\n  leaseRole: keyrack-lease\n"))
        XCTAssertEqual(try HostManifest.decode(yaml: yaml), m)
        let bad = String(decoding: yaml, as: UTF8.self).replacingOccurrences(of: "leaseRole: keyrack-lease", with: "leaseRole: ../x")
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(bad.utf8)))

        func entry(_ slug: Slug, _ exid: String, _ mech: Mechanism) -> KeyEntry {
            KeyEntry(slug: slug, vault: .openBao, exid: exid, mech: mech, maxDuration: nil, addr: nil, cacert: nil,
                     createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-15T10:00:00Z")
        }
        let groups = try OpenBaoLease.groups([entry(user, "database/creds/app#username", .ephemeralViaOpenBaoLease),
                                              entry(try Slug(validating: "acme.prod.KV"), "secret/x#y", .permanentViaReference),
                                              entry(password, "database/creds/app#password", .ephemeralViaOpenBaoLease)])
        XCTAssertEqual(groups.map(\.path), ["database/creds/app"])
        XCTAssertEqual(groups.first?.entries.map(\.slug), [user, password])

        let note = OpenBaoLease.Note(address: "https://bao:8200", caFile: "/etc/ca.pem", namespace: nil)
        XCTAssertEqual(OpenBaoLease.Note(parsing: note.text), note)
        // The renewer's note names the lease too; the revoker reads both forms.
        let leased = OpenBaoLease.Note(address: "https://bao:8200", caFile: nil, namespace: "team", leaseID: "database/creds/app/abc")
        XCTAssertEqual(OpenBaoLease.Note(parsing: leased.text), leased)
        XCTAssertNil(OpenBaoLease.Note(parsing: note.text)?.leaseID)
        XCTAssertNil(OpenBaoLease.Note(parsing: "github-installation-token https://api.github.com/installation/token"))
        XCTAssertEqual(OpenBaoLease.grantSeconds(leaseSeconds: 600, tokenSeconds: 1200), 600)
        XCTAssertEqual(OpenBaoLease.grantSeconds(leaseSeconds: 3600, tokenSeconds: 1200), 1200)
        XCTAssertNil(OpenBaoLease.grantSeconds(leaseSeconds: nil, tokenSeconds: 0))
    }
}
