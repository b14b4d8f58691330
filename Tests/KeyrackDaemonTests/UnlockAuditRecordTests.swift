@testable import KeyrackDaemon
import XCTest
import KeyrackNames

/// The unlock record's key list, now written into one string, is byte for byte what a record
/// object per key wrote: the access log is hash-chained, and `audit verify` and `audit show`
/// read these records.
final class UnlockAuditRecordTests: XCTestCase {
    func testTheKeyListIsWhatARecordObjectPerKeyWrote() {
        let stored = [
            GrantInfo(slug: Slug(parsing: "acme.test.K0")!, vault: "os.secure", remainingMilliseconds: 600_999, expiresAtWallMilliseconds: 1),
            GrantInfo(slug: Slug(parsing: "@all.prod.KEY.WITH.DOTS")!, vault: "odd \"vault\"\n\u{7f}é", remainingMilliseconds: 0, expiresAtWallMilliseconds: 2),
            GrantInfo(slug: Slug(parsing: "a-b_c.sudo.x-Y_z")!, vault: "", remainingMilliseconds: UInt64.max, expiresAtWallMilliseconds: 3),
        ]
        for list in [[], Array(stored.prefix(1)), stored] {
            var old = AuditFields()
            old.add("keys", objects: list.map { g in
                var k = AuditFields()
                k.add("slug", g.slug.description)
                k.add("vault", g.vault)
                k.add("ttl_seconds", g.remainingMilliseconds / 1000)
                return k
            })
            var new = AuditFields()
            new.add("keys", json: DaemonServer.unlockedKeysJSON(list))
            XCTAssertEqual(new.text, old.text)
        }
    }
}
