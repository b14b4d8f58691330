import Crypto
import TestSupport
import XCTest
@testable import PIVSimulator

/// The state file: round trip, atomic replacement, and a card that survives its process.
final class PersistenceTests: XCTestCase {
    func testRoundTripKeepsEverything() throws {
        let dir = try TempDirectory("pivsim")
        defer { dir.remove() }
        let file = StateFile(path: dir.file("card.json").path)
        XCTAssertNil(try file.load())
        var state = CardState.factory(serial: 42, version: [5, 7, 1], managementKeyAlgorithm: PIVAlgorithm.aes192)
        state.objects["5fc102"] = "3001ff"
        state.pin.remaining = 1
        try file.save(state)
        XCTAssertEqual(try file.load(), state)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp.") }
        XCTAssertEqual(leftovers, [])
    }

    func testStateChangesReachTheFileAndANewAppletContinuesTheCard() throws {
        let dir = try TempDirectory("pivsim")
        defer { dir.remove() }
        let file = StateFile(path: dir.file("card.json").path)
        let first = CardHarness(state: .factory(serial: 7))
        var saves = 0
        first.applet.onStateChange = { s in try? file.save(s); saves += 1 }
        first.selectPIV()
        XCTAssertEqual(saves, 0, "reads do not write")
        first.authenticate()
        let scalar = [UInt8](P256.KeyAgreement.PrivateKey().rawRepresentation)
        XCTAssertEqual(first.importKey(slot: 0x95, scalar: scalar, pin: PINPolicy.never), 0x9000)
        XCTAssertEqual(first.command(0x24, 0x00, 0x80, SecretReference.pad("123456") + SecretReference.pad("24682468")).sw, 0x9000)
        first.verify("000000")
        XCTAssertEqual(saves, 3)

        let second = CardHarness(state: try XCTUnwrap(try file.load()))
        second.selectPIV()
        XCTAssertEqual(second.send([0x00, 0x20, 0x00, 0x80, 0x00]).sw, 0x63C2, "the failed try was persisted")
        XCTAssertEqual(second.verify("24682468"), 0x9000)
        let peer = P256.KeyAgreement.PrivateKey()
        let expected = try peer.sharedSecretFromKeyAgreement(
            with: P256.KeyAgreement.PrivateKey(rawRepresentation: scalar).publicKey).withUnsafeBytes { [UInt8]($0) }
        XCTAssertEqual(second.ecdh(slot: 0x95, peer: [UInt8](peer.publicKey.x963Representation)).data, expected)
    }

    func testCorruptFileIsAClearError() throws {
        let dir = try TempDirectory("pivsim")
        defer { dir.remove() }
        let url = try dir.write("card.json", Array("{not json".utf8))
        XCTAssertThrowsError(try StateFile(path: url.path).load()) { error in
            XCTAssertTrue("\(error)".contains("delete it to start a fresh card"), "\(error)")
        }
    }
}
