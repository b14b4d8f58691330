import Foundation
import KeyrackApp
import KeyrackCore
import TestSupport
import XCTest

/// `keyrack identity` in-process on a temp KEYRACK_HOME: the plugin identity naming the owner and
/// the recipients primary first, read without opening the manifest; the one "not initialised"
/// refusal for an owner that has none here.
final class OwnerAgeIdentityTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-identity")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
    }

    override func tearDown() { dir.remove() }

    func testTheIdentityNamesTheOwnerAndTheRecipientsComePrimaryFirst() throws {
        let bot = try OwnerName("bot")
        let created = try OwnerInit.run(.init(owner: bot, spec: .age(AgeRecipientSpec(postQuantum: false)), viaGiven: true, directory: dir.url, userHome: dir.file("home")),
                                        store: store, interaction: .nonInteractive, note: { XCTFail("no note expected: \($0)") })
        guard case .created(let manifest, _) = created.outcome else { return XCTFail("\(created.outcome)") }
        let shown = try OwnerAgeIdentity(owner: bot, store: store)
        XCTAssertEqual(shown.owner, bot)
        XCTAssertTrue(shown.identity.hasPrefix("AGE-PLUGIN-KEYRACK-1"), shown.identity)
        XCTAssertEqual(shown.recipients.map(\.pubkey), [manifest.owner.pubkey])
        XCTAssertEqual(shown.recipients.map(\.label), ["primary"])
    }

    func testAnOwnerNotInitialisedHereGetsTheOneRefusalWithItsTypedRemedy() {
        XCTAssertThrowsError(try OwnerAgeIdentity(owner: try OwnerName("ghost"), store: store)) { error in
            let e = error as? KeyrackError
            XCTAssertEqual(e?.kind, .usage)
            XCTAssertEqual(e?.problem, "owner ghost is not initialised (no \(self.store.home.manifest(try! OwnerName("ghost")).path))")
            XCTAssertEqual(e?.remedy, .initialise(owner: "ghost"))
        }
    }
}
