import AgeYubiKey
import Foundation
import KeyrackApp
import KeyrackCore
import PIV
import TestSupport
import XCTest

/// `init`'s request: each backend's choices refused under another backend, before anything is
/// read; the spec each backend is asked for; the uid and org checked; and what init refuses or
/// says on the way as typed values (the CLI words them with its options).
final class InitRequestTests: XCTestCase {
    private func request(_ via: Via?, _ change: (inout InitRequest) -> Void) -> InitRequest {
        var r = InitRequest()
        r.via = via
        change(&r)
        return r
    }

    private func assertRefused(_ r: InitRequest, _ problem: InitRequest.Problem, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try r.check(), file: file, line: line) { XCTAssertEqual($0 as? InitRequest.Problem, problem, file: file, line: line) }
    }

    func testChoicesOfAnotherBackendAreRefused() {
        let yubikeyOnly: [InitRequest.Choice] = [.serial, .slot, .touchPolicy, .recipientType, .algorithm]
        assertRefused(request(.ssh) { $0.postQuantum = true }, .onlyFor([.postQuantum, .identity], vias: [.age]))
        assertRefused(request(nil) { $0.identity = "/id.txt" }, .onlyFor([.postQuantum, .identity], vias: [.age]))
        assertRefused(request(.age) { $0.pubkey = "age1x"; $0.identity = "/id.txt" }, .recipientAndIdentity)
        assertRefused(request(.age) { $0.serial = 7 }, .onlyFor(yubikeyOnly, vias: [.yubikey]))
        assertRefused(request(.tpm) { $0.slot = PIVSlot(parsing: "82") }, .onlyFor(yubikeyOnly, vias: [.yubikey]))
        assertRefused(request(.ssh) { $0.algorithm = .x25519 }, .onlyFor(yubikeyOnly, vias: [.yubikey]))
        assertRefused(request(.age) { $0.pinPolicy = .once }, .onlyFor([.pinPolicy], vias: [.yubikey, .tpm]))
        assertRefused(request(.tpm) { $0.pinPolicy = .always }, .alwaysOnTPM)
        assertRefused(request(.yubikey) { $0.algorithm = .x25519; $0.recipientType = .tag }, .recipientTypeOfX25519)
        assertRefused(request(.yubikey) { $0.slot = .authentication }, .slotNotRetired(.authentication))
        assertRefused(request(.ssh) { $0.pinFromStdin = true }, .onlyFor([.pinFromStdin], vias: [.yubikey, .tpm]))
        assertRefused(request(.age) { $0.uid = "no-such-user-xyz" }, .unknownUser("no-such-user-xyz"))
        assertRefused(request(.age) { $0.org = "Bad.Org" }, .invalidOrg("Bad.Org"))
        // The org is the first thing a person fixes: said before a choice of another backend.
        assertRefused(request(.ssh) { $0.org = "Bad.Org"; $0.postQuantum = true }, .invalidOrg("Bad.Org"))
    }

    func testEachBackendIsAskedForItsOwnChoices() throws {
        XCTAssertNoThrow(try request(.tpm) { $0.pinPolicy = .once; $0.pinFromStdin = true }.check())
        XCTAssertNoThrow(try request(.yubikey) { $0.algorithm = .x25519; $0.slot = PIVSlot(parsing: "95"); $0.pinFromStdin = true }.check())
        XCTAssertEqual(InitRequest().backend, .ssh, "no --via: ssh")
        guard case .ssh(nil) = InitRequest().spec else { return XCTFail("bare init asks for the default ssh key") }
        guard case .age(let age) = request(.age, { $0.identity = "/id.txt"; $0.pubkey = nil; $0.postQuantum = true }).spec,
              case .identityFile("/id.txt") = age.source else { return XCTFail("an identity file") }
        XCTAssertTrue(age.postQuantum)
        guard case .age(let recipient) = request(.age, { $0.pubkey = "age1xyz" }).spec, case .recipient("age1xyz") = recipient.source else {
            return XCTFail("a recipient only")
        }
        guard case .age(let fresh) = request(.age, { _ in }).spec, case .newIdentity = fresh.source else { return XCTFail("a new identity") }
        guard case .yubikey(let card) = request(.yubikey, { $0.serial = 9; $0.touchPolicy = .never }).spec else { return XCTFail("yubikey") }
        XCTAssertEqual(card.serial, 9)
        XCTAssertEqual(card.touchPolicy, .never)
        XCTAssertNil(card.pinPolicy, "the owner's default PIN policy")
        XCTAssertEqual(card.recipientType, .default)
        XCTAssertEqual(card.algorithm, .p256)
        guard case .tpm(let tpm) = request(.tpm, { $0.pinPolicy = .never }).spec else { return XCTFail("tpm") }
        XCTAssertEqual(tpm.pinPolicy, .never)
    }

    func testTheInputCarriesTheUIDTheOrgAndWhetherABackendWasNamed() throws {
        let dir = try TempDirectory("keyrack-init-request")
        defer { dir.remove() }
        let owner = try OwnerName("bot")
        let input = try request(.age) { $0.uid = "0"; $0.org = "acme"; $0.sandboxed = true }.input(owner: owner, directory: dir.url, userHome: dir.url)
        XCTAssertEqual(input.uid, 0)
        XCTAssertEqual(input.org?.value, "acme")
        XCTAssertTrue(input.sandboxed)
        XCTAssertTrue(input.viaGiven)
        XCTAssertEqual(try request(.age) { $0.uid = "root" }.pinnedUID(), 0, "a user name is looked up")
        XCTAssertFalse(try InitRequest().input(owner: owner, directory: dir.url, userHome: dir.url).viaGiven)
        XCTAssertThrowsError(try request(.ssh) { $0.postQuantum = true }.input(owner: owner, directory: dir.url, userHome: dir.url),
                             "the input is checked before it is made")
    }

    /// An owner the TypeScript keyrack has: init makes no empty manifest beside it, and says to
    /// carry it over as a typed remedy.
    func testAnOwnerOfTheTypeScriptKeyrackIsPointedAtTheMigration() throws {
        let dir = try TempDirectory("keyrack-init-ts")
        defer { dir.remove() }
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        try FileManager.default.createDirectory(at: dir.file("kr"), withIntermediateDirectories: true)
        try Data("-----BEGIN AGE ENCRYPTED FILE-----\n".utf8).write(to: dir.file("kr/keyrack.host.mechanic.age"))
        let mechanic = try OwnerName("mechanic")
        XCTAssertThrowsError(try OwnerInit.run(try request(.age) { _ in }.input(owner: mechanic, directory: dir.url, userHome: dir.url),
                                               store: store, interaction: .nonInteractive, note: { XCTFail("no note: \($0)") })) { error in
            let e = error as? KeyrackError
            XCTAssertEqual(e?.kind, .usage)
            XCTAssertEqual(e?.remedy, .migrate(owner: "mechanic", orStartEmpty: true))
            XCTAssertEqual(e?.problem, "owner mechanic has the TypeScript keyrack's manifest \(dir.file("kr/keyrack.host.mechanic.age").path)")
        }
        XCTAssertFalse(store.isInitialised(mechanic))
    }
}
