@testable import KeyrackDaemon
import XCTest
import KeyrackNames

/// The frame codec on its own: every message round-trips, and every way of cutting or
/// corrupting a body is a thrown `.malformed`/`.protocolError`, never a trap.
final class WireProtocolTests: XCTestCase {
    private let s1 = Slug(parsing: "acme.sudo.GITHUB_TOKEN")!
    private let s2 = Slug(parsing: "@all.all.KEY.WITH.DOTS")!

    private func requests() -> [Request] {
        [.ping, .status, .stop,
         .unlock([GrantRequest(slug: s1, vault: "1password", ttlMilliseconds: 1_800_000, value: [0, 1, 2, 0xff])], catalog: [s1, s2]),
         .unlock([], catalog: nil),
         .unlock([GrantRequest(slug: s1, vault: "os.secure", ttlMilliseconds: 1, value: [1]),
                  GrantRequest(slug: s2, vault: "os.secure", ttlMilliseconds: 2, value: [2], revocation: "kind https://h/x")], catalog: nil),
         .get([Query(key: "GITHUB_TOKEN", env: "sudo", org: "acme"), Query(key: s2.description)]),
         .relock(env: "test", key: nil), .relock(env: nil, key: "K"),
         .auditProxy(ProxySubstitution(host: "api.github.com", port: 443, substitutions: 2, keys: [s1.description, "OTHER"])),
         .auditProxy(ProxySubstitution(host: "::1", port: 8080, substitutions: 1, keys: [])),
         .auditChange(event: "set", slug: s1.description, vault: "os.secure", effect: "created"),
         .auditChange(event: "del", slug: s2.description, vault: nil, effect: nil)]
    }

    /// A proxy's record request carries names and a count (issue 31); a port past 65535 or an
    /// empty host is malformed.
    func testAProxyRecordRoundTripsAndABadDestinationIsMalformed() throws {
        let record = ProxySubstitution(host: "api.github.com", port: 443, substitutions: 3, keys: [s1.description])
        guard case .auditProxy(let decoded) = try Request.decode(body: Request.auditProxy(record).encodeBody()) else { return XCTFail() }
        XCTAssertEqual(decoded, record)
        var w = WireWriter()
        w.u8(Protocol.version); w.u8(0x0D); w.string("h"); w.u32(70_000); w.u32(1); w.count(0)
        XCTAssertThrowsError(try Request.decode(body: w.bytes))
        var empty = WireWriter()
        empty.u8(Protocol.version); empty.u8(0x0D); empty.string(""); empty.u32(443); empty.u32(1); empty.count(0)
        XCTAssertThrowsError(try Request.decode(body: empty.bytes))
    }

    /// A card checkpoint (AUDIT_HEAD, then AUDIT_CARD_CHECKPOINT) travels as given; a head or a
    /// public key of the wrong size is malformed.
    func testACardCheckpointRoundTripsAndAWrongSizedKeyIsMalformed() throws {
        let head = String(repeating: "ab", count: 32)
        let record = CardCheckpoint(seq: 41, head: head, signature: [0x30, 0x44] + [UInt8](repeating: 7, count: 70),
                                    publicKey: [4] + [UInt8](repeating: 9, count: 64), slot: "9a", serial: 12_345_678)
        guard case .auditCardCheckpoint(let decoded) = try Request.decode(body: Request.auditCardCheckpoint(record).encodeBody()) else { return XCTFail() }
        XCTAssertEqual(decoded, record)
        guard case .auditHead = try Request.decode(body: Request.auditHead.encodeBody()) else { return XCTFail() }
        guard case .auditHead(let seq, let h) = try Response.decode(body: Response.auditHead(seq: 41, head: head).encodeBody()) else { return XCTFail() }
        XCTAssertEqual(seq, 41)
        XCTAssertEqual(h, head)
        var short = record
        short.publicKey = [4, 1, 2]
        XCTAssertThrowsError(try Request.decode(body: Request.auditCardCheckpoint(short).encodeBody()))
        var badHead = record
        badHead.head = "zz"
        XCTAssertThrowsError(try Request.decode(body: Request.auditCardCheckpoint(badHead).encodeBody()))
    }

    func testRequestsRoundTrip() throws {
        for request in requests() {
            let body = request.encodeBody()
            let decoded = try Request.decode(body: body)
            XCTAssertEqual(decoded.encodeBody(), body, "\(request)")
        }
    }

    /// A grant's revocation note lands on its own grant (protocol 3: a flag and the note).
    func testRevocationNotesTravelWithTheirGrant() throws {
        let body = Request.unlock([GrantRequest(slug: s1, vault: "v", ttlMilliseconds: 1, value: [1]),
                                   GrantRequest(slug: s2, vault: "v", ttlMilliseconds: 1, value: [2], revocation: "note")], catalog: nil).encodeBody()
        guard case .unlock(let grants, _) = try Request.decode(body: body) else { return XCTFail() }
        XCTAssertEqual(grants.map(\.revocation), [nil, "note"])
        var bad = WireWriter(); bad.u8(Protocol.version); bad.u8(0x02); bad.u8(0); bad.count(1); bad.slug(s1); bad.string("v"); bad.u64(1); bad.data([1]); bad.u8(3)
        XCTAssertThrowsError(try Request.decode(body: bad.bytes), "a flag that is not 0, 1 or 2")
    }

    /// Flag 2: the note and its secret (an OpenBao lease token) travel with their grant, and the
    /// secret is never sent without a note.
    func testARevocationSecretTravelsWithItsNote() throws {
        let body = Request.unlock([GrantRequest(slug: s1, vault: "v", ttlMilliseconds: 1, value: [1], revocation: "lease", revocationSecret: [7, 8]),
                                   GrantRequest(slug: s2, vault: "v", ttlMilliseconds: 1, value: [2], revocationSecret: [9])], catalog: nil).encodeBody()
        guard case .unlock(let grants, _) = try Request.decode(body: body) else { return XCTFail() }
        XCTAssertEqual(grants.map(\.revocation), ["lease", nil])
        XCTAssertEqual(grants.map(\.revocationSecret), [[7, 8], nil])
        for cut in 0..<body.count { XCTAssertThrowsError(try Request.decode(body: Array(body.prefix(cut)))) }
    }

    func testResponsesRoundTrip() throws {
        let info = GrantInfo(slug: s1, vault: "os.secure", remainingMilliseconds: 5, expiresAtWallMilliseconds: 1_700_000_000_000)
        let responses: [Response] = [
            .pong(pid: 42, owner: "seaturtle"), .unlocked([info, info]), .relocked([s1, s2]), .stopping,
            .got([.granted(info, value: Array("v".utf8)), .locked(s1), .expired(s2), .absent(nil), .absent(s1), .ambiguous([s1, s2])]),
            .status(DaemonStatus(pid: 7, owner: "human", allowedUID: 1000, grants: [info], catalogCount: 3)),
            .error(.denied, "no"),
        ]
        for response in responses {
            let body = response.encodeBody()
            XCTAssertEqual(try Response.decode(body: body).encodeBody(), body)
        }
        guard case .got(let results) = try Response.decode(body: responses[4].encodeBody()) else { return XCTFail() }
        XCTAssertEqual(results[0], .granted(info, value: Array("v".utf8)))
    }

    /// An unlock's slugs are read sharing the org and env of the slug before (one decode and
    /// check of the key each, the parts' storage shared), its vaults reusing the vault before;
    /// yet each slug decodes as a full parse would, and a bad one is refused in the same words.
    func testAnUnlocksSlugsShareTheirOrgAndEnvYetEachIsReadAsAlone() throws {
        // Parts over 15 bytes live in heap storage of their own: shared storage is visible.
        let org = "a-long-organisation", env = "a-long-environment", vault = "a-vault-name-over-15-bytes"
        let texts = ["\(org).\(env).K1", "\(org).\(env).K2.WITH.DOTS", "\(org).\(env)x.K3", "\(org)x.\(env).K4",
                     "\(org)x.\(env).K5", "ab.test.K", "abc.test.K", "ab.testing.K", "ab.te.K", "ab.te.st"]
        let slugs = texts.map { Slug(parsing: $0)! }
        let grants = slugs.enumerated().map { GrantRequest(slug: $1, vault: $0 == 6 ? "other" : vault, ttlMilliseconds: 1, value: [1]) }
        let sent = UnlockCatalog(count: slugs.count, beyondGrants: slugs)
        guard case .unlock(let decoded, let catalog) = try Request.decode(body: Request.unlock(grants, catalog: sent).encodeBody()) else { return XCTFail() }
        XCTAssertEqual(decoded.map(\.slug), slugs)
        XCTAssertEqual(catalog, sent)
        XCTAssertEqual(decoded.map(\.vault), grants.map(\.vault))
        func storage(_ s: String) -> UnsafePointer<UInt8>? { var s = s; return s.withUTF8 { $0.baseAddress } }
        for list in [decoded.map(\.slug), catalog!.beyondGrants] {
            XCTAssertEqual(storage(list[1].org), storage(list[0].org), "the org is not shared")
            XCTAssertEqual(storage(list[1].env), storage(list[0].env), "the env is not shared")
            XCTAssertEqual(storage(list[4].org), storage(list[3].org), "the org is not shared")
            XCTAssertNotEqual(storage(list[3].org), storage(list[2].org))
        }
        XCTAssertEqual(storage(decoded[1].vault), storage(decoded[0].vault), "the vault is not shared")
        // After a good slug, bad ones: each refused as it would be alone.
        for (bad, why) in [("ab.test.bad key", "'ab.test.bad key' is not ORG.ENV.KEY"), ("ab.test.", "'ab.test.' is not ORG.ENV.KEY"),
                           ("ab.test.K..x", "'ab.test.K..x' is not ORG.ENV.KEY"), ("ab.test.\u{e9}", "'ab.test.\u{e9}' is not ORG.ENV.KEY")] {
            for catalogFirst in [true, false] {
                var w = WireWriter()
                w.u8(Protocol.version); w.u8(0x02)
                if catalogFirst { w.u8(1); w.count(2); w.count(2); w.slug(slugs[5]); w.string(bad); w.count(0) } else {
                    w.u8(0); w.count(2)
                    for text in ["ab.test.K", bad] { w.string(text); w.string("v"); w.u64(1); w.data([1]); w.u8(0); w.count(0); w.u8(0) }
                }
                XCTAssertThrowsError(try Request.decode(body: w.bytes)) { error in
                    XCTAssertEqual("\(error)", "\(DaemonError.malformed("unlock.\(catalogFirst ? "catalog" : "grant").slug: \(why)"))")
                }
            }
        }
        var w = WireWriter()
        w.u8(Protocol.version); w.u8(0x02); w.u8(1); w.count(2); w.count(2); w.slug(slugs[5]); w.data([0x61, 0x62, 0x2e, 0x74, 0x65, 0x73, 0x74, 0x2e, 0xff]); w.count(0)
        XCTAssertThrowsError(try Request.decode(body: w.bytes)) { error in
            XCTAssertEqual("\(error)", "\(DaemonError.malformed("unlock.catalog.slug: not UTF-8"))")
        }
    }

    /// An UNLOCKED reply is read against the grants sent (their slugs compared, not parsed
    /// anew), yet says what the daemon stored: a slug other than the one sent is the daemon's,
    /// and a reply slug that is no slug, or no UTF-8, is refused as before.
    func testAnUnlockedReplyIsReadAgainstTheGrantsSentButSaysWhatTheDaemonStored() throws {
        let sent = [GrantRequest(slug: s1, vault: "os.secure", ttlMilliseconds: 5, value: [1]),
                    GrantRequest(slug: s2, vault: "1password", ttlMilliseconds: 6, value: [2])]
        let stored = [GrantInfo(slug: s1, vault: "os.secure", remainingMilliseconds: 5, expiresAtWallMilliseconds: 9),
                      GrantInfo(slug: s2, vault: "1password", remainingMilliseconds: 6, expiresAtWallMilliseconds: 9, sendTo: ["h:1"])]
        guard case .unlocked(let same) = try Response.decode(body: Response.unlocked(stored).encodeBody(), unlocking: sent) else { return XCTFail() }
        XCTAssertEqual(same, stored)
        // Answered in the other order, with other vaults: the reply's own words.
        let swapped = [GrantInfo(slug: s2, vault: "os.secure", remainingMilliseconds: 1, expiresAtWallMilliseconds: 2),
                       GrantInfo(slug: s1, vault: "openbao", remainingMilliseconds: 3, expiresAtWallMilliseconds: 4)]
        guard case .unlocked(let other) = try Response.decode(body: Response.unlocked(swapped).encodeBody(), unlocking: sent) else { return XCTFail() }
        XCTAssertEqual(other, swapped)
        // A slug one byte off the one sent, then bytes that are no slug or no UTF-8.
        func reply(slug: [UInt8]) -> [UInt8] {
            var w = WireWriter()
            w.u8(Protocol.version); w.u8(0x82); w.count(1); w.u8(0)
            w.data(slug); w.string("os.secure"); w.u64(5); w.u64(9); w.count(0)
            return w.bytes
        }
        guard case .unlocked(let near) = try Response.decode(body: reply(slug: Array("acme.sudo.GITHUB_TOKEM".utf8)), unlocking: sent) else { return XCTFail() }
        XCTAssertEqual(near.map(\.slug.description), ["acme.sudo.GITHUB_TOKEM"])
        XCTAssertThrowsError(try Response.decode(body: reply(slug: Array("acme.GITHUB_TOKEN".utf8)), unlocking: sent)) { error in
            XCTAssertEqual("\(error)", "\(DaemonError.malformed("grant.slug: 'acme.GITHUB_TOKEN' is not ORG.ENV.KEY"))")
        }
        XCTAssertThrowsError(try Response.decode(body: reply(slug: [0x61, 0x2e, 0x62, 0x2e, 0xff]), unlocking: sent)) { error in
            XCTAssertEqual("\(error)", "\(DaemonError.malformed("grant.slug: not UTF-8"))")
        }
    }

    /// The daemon answers each grant it stored as the UNLOCK sent it by its place and its
    /// expiry (9 bytes, protocol 6), any other in full; the client reads both against the grants
    /// it sent, and refuses a place it sent nothing at, or a form it does not know.
    func testAnUnlockedReplyNamesAGrantStoredAsSentByItsPlace() throws {
        let sent = [GrantRequest(slug: s1, vault: "os.secure", ttlMilliseconds: 5, value: [1], sendTo: ["api.github.com"]),
                    GrantRequest(slug: s2, vault: "1password", ttlMilliseconds: 6, value: [2])]
        let asSent = [GrantInfo(slug: s1, vault: "os.secure", remainingMilliseconds: 5, expiresAtWallMilliseconds: 9, sendTo: ["api.github.com"]),
                      GrantInfo(slug: s2, vault: "1password", remainingMilliseconds: 6, expiresAtWallMilliseconds: 10)]
        let request = Request.unlock(sent, catalog: nil)
        let compact = Response.unlocked(asSent).encodeBody(answering: request)
        XCTAssertEqual(compact.count, 2 + 4 + 2 * 9)
        guard case .unlocked(let read) = try Response.decode(body: compact, unlocking: sent) else { return XCTFail() }
        XCTAssertEqual(read, asSent)
        // Stored otherwise (a TTL cut, another vault, other destinations): that grant in full.
        for changed in [GrantInfo(slug: s2, vault: "1password", remainingMilliseconds: 5, expiresAtWallMilliseconds: 10),
                        GrantInfo(slug: s2, vault: "os.secure", remainingMilliseconds: 6, expiresAtWallMilliseconds: 10),
                        GrantInfo(slug: s2, vault: "1password", remainingMilliseconds: 6, expiresAtWallMilliseconds: 10, sendTo: ["h"]),
                        GrantInfo(slug: s1, vault: "1password", remainingMilliseconds: 6, expiresAtWallMilliseconds: 10)] {
            let body = Response.unlocked([asSent[0], changed]).encodeBody(answering: request)
            XCTAssertGreaterThan(body.count, compact.count)
            guard case .unlocked(let mixed) = try Response.decode(body: body, unlocking: sent) else { return XCTFail() }
            XCTAssertEqual(mixed, [asSent[0], changed])
        }
        // Another count than sent, or no UNLOCK answered: every grant in full, as encodeBody writes it.
        XCTAssertEqual(Response.unlocked(Array(asSent.prefix(1))).encodeBody(answering: request), Response.unlocked(Array(asSent.prefix(1))).encodeBody())
        XCTAssertEqual(Response.unlocked(asSent).encodeBody(answering: .status), Response.unlocked(asSent).encodeBody())
        // Read without the grants sent, or against fewer: nothing to name.
        XCTAssertThrowsError(try Response.decode(body: compact)) { error in
            XCTAssertEqual("\(error)", "\(DaemonError.malformed("grant 0: stored as sent, but no grant was sent at that place"))")
        }
        XCTAssertThrowsError(try Response.decode(body: compact, unlocking: Array(sent.prefix(1)))) { error in
            XCTAssertEqual("\(error)", "\(DaemonError.malformed("grant 1: stored as sent, but no grant was sent at that place"))")
        }
        var w = WireWriter()
        w.u8(Protocol.version); w.u8(0x82); w.count(1); w.u8(2); w.u64(9)
        XCTAssertThrowsError(try Response.decode(body: w.bytes, unlocking: sent)) { error in
            XCTAssertEqual("\(error)", "\(DaemonError.malformed("grant.form: 2 is neither 0 nor 1"))")
        }
    }

    /// The daemon answers its UNLOCK without a GrantInfo per grant (every grant is stored as
    /// sent): its body is what `.unlocked(stored).encodeBody(answering:)` writes for the grants
    /// as stored, byte for byte, at every size and for expiries past 32 bits, and the client
    /// reads it back as those grants.
    func testTheDaemonsUnlockedBodyIsTheCompactReplyOfTheGrantsAsStored() throws {
        for n in [0, 1, 2, 300] {
            var sent: [GrantRequest] = []
            for i in 0..<n {
                let destinations: [String] = i % 3 == 0 ? ["api.github.com"] : []
                let ttl = UInt64(i) * 1_000_000_007
                sent.append(GrantRequest(slug: i % 2 == 0 ? s1 : s2, vault: "os.secure", ttlMilliseconds: ttl, value: [UInt8(i & 0xff)], sendTo: destinations))
            }
            let wall: UInt64 = 0x0123_4567_89ab
            let stored = sent.map { GrantInfo(slug: $0.slug, vault: $0.vault, remainingMilliseconds: $0.ttlMilliseconds,
                                              expiresAtWallMilliseconds: wall &+ $0.ttlMilliseconds, sendTo: $0.sendTo) }
            let body = Response.unlockedBody(asSent: sent, wall: wall)
            XCTAssertEqual(body, Response.unlocked(stored).encodeBody(answering: .unlock(sent, catalog: nil)), "\(n) grants")
            guard case .unlocked(let read) = try Response.decode(body: body, unlocking: sent) else { return XCTFail() }
            XCTAssertEqual(read, stored)
        }
    }

    func testEveryTruncationOfEveryRequestIsMalformed() {
        for request in requests() {
            let body = request.encodeBody()
            for cut in 0..<body.count {
                XCTAssertThrowsError(try Request.decode(body: Array(body.prefix(cut))), "cut at \(cut) of \(request)")
            }
            XCTAssertThrowsError(try Request.decode(body: body + [0]), "trailing byte accepted")
        }
    }

    func testForgedCountsAndVersionsAreRejected() {
        // GET claiming 2^32-1 queries in a 10-byte frame must not try to reserve them.
        XCTAssertThrowsError(try Request.decode(body: [Protocol.version, 0x03, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])) { error in
            guard case DaemonError.malformed(let m) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(m.contains("get.queries"), m)
        }
        XCTAssertThrowsError(try Request.decode(body: [Protocol.version + 1, 0x01])) { error in
            guard case DaemonError.protocolError(.unsupportedVersion, _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Request.decode(body: [Protocol.version, 0x77])) { error in
            guard case DaemonError.protocolError(.unknownType, _) = error else { return XCTFail("\(error)") }
        }
        // A slug that is not ORG.ENV.KEY in an UNLOCK.
        var w = WireWriter(); w.u8(Protocol.version); w.u8(0x02); w.u8(0); w.u32(1); w.string("nodots"); w.string("v"); w.u64(1); w.data([1])
        XCTAssertThrowsError(try Request.decode(body: w.bytes))
    }

    func testRandomBodiesNeverTrap() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let n = Int.random(in: 0..<64, using: &rng)
            var body = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if n >= 2 { body[0] = 1; body[1] = UInt8.random(in: 1...6, using: &rng) }
            _ = try? Request.decode(body: body)
            _ = try? Response.decode(body: body)
        }
    }

    /// An UNLOCK's slugs and vaults are written reusing the bytes of the one before
    /// (UnlockEncoding), yet the frame is byte for byte what writing each field alone
    /// makes: orgs and envs changing, an empty vault first, a vault changing and coming back.
    func testAnUnlocksSharedSlugAndVaultBytesAreEachFieldsOwn() throws {
        let texts = ["acme.test.A", "acme.test.B.C", "acme.prod.A", "other.prod.A", "other.prod.LONGER_THAN_FIFTEEN_BYTES", "a-long-organisation.test.K", "acme.test.Z"]
        let vaults = ["", "", "os.secure", "os.secure", "1password", "os.secure", ""]
        let grants = zip(texts, vaults).map { GrantRequest(slug: Slug(parsing: $0)!, vault: $1, ttlMilliseconds: 7, value: [1, 2]) }
        var w = WireWriter()
        w.u8(Protocol.version); w.u8(0x02); w.u8(0); w.count(grants.count)
        for g in grants {
            w.slug(g.slug); w.string(g.vault); w.u64(g.ttlMilliseconds); w.data(g.value)
            w.u8(0); w.count(0); w.u8(0)
        }
        XCTAssertEqual(Request.unlock(grants, catalog: nil).encodeBody(), w.bytes)
    }

    /// UNLOCK's one-pass writer (UnlockEncoding) against the field-by-field writer, on every
    /// optional part: the catalog, notes with and without a secret, a lease (written only with a
    /// note), destinations, a value of no bytes and one of many, names of more than 15 bytes
    /// (not stored inline). Framed for sending, the same body behind its length.
    func testAnUnlockIsWrittenInOnePassAsEachFieldAloneWouldBe() throws {
        let big = [UInt8](repeating: 0xA5, count: 70_000)
        let grants = [
            GrantRequest(slug: s1, vault: "os.secure", ttlMilliseconds: 1_800_000, value: [0, 1, 2, 0xff], sendTo: ["api.github.com", "h:8443"]),
            GrantRequest(slug: Slug(parsing: "acme.sudo.B")!, vault: "openbao:secret/some/long/path#field", ttlMilliseconds: 2, value: [],
                         revocation: "openbao-lease a/b/c", revocationSecret: [9, 9, 9], leaseMilliseconds: 60_000),
            GrantRequest(slug: Slug(parsing: "acme.sudo.C")!, vault: "os.secure", ttlMilliseconds: 3, value: big,
                         revocation: "github-app https://api.github.com/installation/token"),
            GrantRequest(slug: Slug(parsing: "acme.sudo.D")!, vault: "os.secure", ttlMilliseconds: 4, value: [4], leaseMilliseconds: 5),
            GrantRequest(slug: s2, vault: "os.secure", ttlMilliseconds: UInt64.max, value: [5], revocation: "n", leaseMilliseconds: 0),
        ]
        let catalog = UnlockCatalog(count: 9, beyondGrants: [Slug(parsing: "acme.sudo.A")!, Slug(parsing: "a-long-organisation.environment.K")!])
        for catalog in [nil, catalog, UnlockCatalog(count: 5, beyondGrants: [])] {
            var w = WireWriter()
            w.u8(Protocol.version); w.u8(0x02); w.u8(catalog == nil ? 0 : 1)
            if let catalog { w.count(catalog.count); w.count(catalog.beyondGrants.count); for s in catalog.beyondGrants { w.slug(s) } }
            w.count(grants.count)
            for g in grants {
                w.slug(g.slug); w.string(g.vault); w.u64(g.ttlMilliseconds); w.data(g.value)
                w.u8(g.revocation == nil ? 0 : g.revocationSecret == nil ? 1 : 2)
                if let note = g.revocation { w.string(note) }
                if g.revocation != nil, let secret = g.revocationSecret { w.data(secret) }
                w.count(g.sendTo.count); for d in g.sendTo { w.string(d) }
                if g.revocation != nil, let lease = g.leaseMilliseconds { w.u8(1); w.u64(lease) } else { w.u8(0) }
            }
            let body = Request.unlock(grants, catalog: catalog).encodeBody()
            XCTAssertEqual(body, w.bytes)
            let n = UInt32(body.count)
            XCTAssertEqual(UnlockEncoding.bytes(grants, catalog: catalog, framed: true),
                           [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + body)
            guard case .unlock(let read, let readCatalog) = try Request.decode(body: body) else { return XCTFail() }
            XCTAssertEqual(readCatalog, catalog)
            XCTAssertEqual(read.map(\.slug), grants.map(\.slug))
            XCTAssertEqual(read.map(\.value), grants.map(\.value))
            XCTAssertEqual(read.map(\.revocationSecret), grants.map(\.revocationSecret))
            XCTAssertEqual(read.map(\.leaseMilliseconds), [nil, 60_000, nil, nil, 0])
            XCTAssertEqual(read.map(\.sendTo), grants.map(\.sendTo))
        }
    }
}
