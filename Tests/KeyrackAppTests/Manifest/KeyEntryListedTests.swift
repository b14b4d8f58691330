import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackNames
import XCTest

/// What `list` and `set` show as a key's source: the vault, or an openbao key's reference and
/// address; `list --json` carries the same as `source`.
final class KeyEntryListedTests: XCTestCase {
    private let slug = Slug(org: "fleet", env: "prod", key: "DB")!

    private func entry(_ vault: Vault, exid: String?, addr: String? = nil) -> KeyEntry {
        KeyEntry(slug: slug, vault: vault, exid: exid, mech: vault == .openBao ? .permanentViaReference : .permanentViaReplica, maxDuration: nil,
                 addr: addr, cacert: nil, createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-15T10:00:00Z")
    }

    func testAnOpenBaoKeyShowsItsReferenceAndAddressAndOthersTheirVault() throws {
        XCTAssertEqual(entry(.openBao, exid: "secret/db#password", addr: "https://bao:8200").source, "openbao:secret/db#password @ https://bao:8200")
        XCTAssertEqual(entry(.openBao, exid: "secret/db#password").source, "openbao:secret/db#password")
        XCTAssertEqual(entry(.openBao, exid: "not a reference").source, "openbao", "an unreadable reference shows the vault, never the exid")
        XCTAssertEqual(entry(.osSecure, exid: nil).source, "os.secure")
    }

    func testListJSONCarriesTheListedSourceOfOpenBaoKeysOnly() throws {
        let json = JSONLine.encode(KeyListJSON(owner: try OwnerName("bot"), entries: [entry(.openBao, exid: "secret/db#password", addr: "https://bao:8200"), entry(.osSecure, exid: nil)]))
        XCTAssertTrue(json.contains(#""source":"openbao:secret/db#password @ https://bao:8200""#), json)
        XCTAssertEqual(json.components(separatedBy: #""source""#).count, 2, "only the openbao key has a source: \(json)")
    }
}
