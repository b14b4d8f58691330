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
            // The vault quoted once per run of equal vaults: a run, then one seen before.
            GrantInfo(slug: Slug(parsing: "a-b_c.sudo.x-Y_y")!, vault: "", remainingMilliseconds: 999, expiresAtWallMilliseconds: 4),
            GrantInfo(slug: Slug(parsing: "acme.test.K1")!, vault: "os.secure", remainingMilliseconds: 1000, expiresAtWallMilliseconds: 5),
            GrantInfo(slug: Slug(parsing: "acme.test.K2")!, vault: "os.secure", remainingMilliseconds: 10_000_000, expiresAtWallMilliseconds: 6),
            GrantInfo(slug: Slug(parsing: "acme.test.K3")!, vault: "odd \"vault\"\n\u{7f}é", remainingMilliseconds: 61_000, expiresAtWallMilliseconds: 7),
        ]
        for list in [[], Array(stored.prefix(1)), Array(stored.prefix(3)), stored] {
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
            // The daemon writes it from the requests (every grant stored as sent): the same bytes.
            let requests = list.map { GrantRequest(slug: $0.slug, vault: $0.vault, ttlMilliseconds: $0.remainingMilliseconds, value: [1]) }
            XCTAssertEqual(DaemonServer.unlockedKeysJSON(requests), DaemonServer.unlockedKeysJSON(list))
        }
    }

    /// The log's decimal writer (seq numbers, the unlock record's TTLs) writes every UInt64:
    /// it had room for 16 digits and trapped on a 17-digit value.
    func testEveryUInt64IsWrittenInDecimal() {
        for v: UInt64 in [0, 9, 10, 1_000_000_000_000_000, 9_999_999_999_999_999, 10_000_000_000_000_000, UInt64.max / 1000, UInt64.max] {
            var out: [UInt8] = [0x2c]
            AuditLog.appendDecimal(v, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), ",\(v)")
        }
    }

    /// The log's chain is hashed with libcrypto's SHA-256 where it loads, from `libcryptoFrom`
    /// bytes on, and that hash is libsodium's, byte for byte, at every length around SHA-256's
    /// 64-byte blocks, the switch from one to the other and a 750 KB unlock record's.
    func testTheChainHashIsLibcryptosAndEqualsLibsodiums() {
        XCTAssertTrue(AuditCrypto.hashesWithLibcrypto, "libcrypto did not load")
        var rng = SystemRandomNumberGenerator()
        let from = AuditCrypto.libcryptoFrom
        for n in [0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, from - 1, from, from + 1, from + 55, from + 64, 750_001] {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var fast = [UInt8](repeating: 0, count: 32), slow = [UInt8](repeating: 0, count: 32)
            bytes.withUnsafeBufferPointer { b in fast.withUnsafeMutableBufferPointer { AuditCrypto.sha256(b, into: $0.baseAddress!) } }
            bytes.withUnsafeBufferPointer { b in slow.withUnsafeMutableBufferPointer { AuditCrypto.sodiumSHA256(b, into: $0.baseAddress!) } }
            XCTAssertEqual(fast, slow, "\(n) bytes")
        }
        XCTAssertEqual(AuditCrypto.sha256Hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
