import Crypto
import _CryptoExtras
import XCTest
@testable import PIVSimulator

/// Drives an in-process applet with raw APDUs, as libykpiv would through pcscd.
final class CardHarness {
    let applet: PIVApplet
    var touch: TouchMode = .auto
    var clock = Date(timeIntervalSince1970: 1_700_000_000)

    init(state: CardState = .factory(serial: 12_345_678)) {
        applet = PIVApplet(state: state)
        applet.touchMode = { [unowned self] in self.touch }
        applet.now = { [unowned self] in self.clock }
        applet.waitForTouch = { _ in true }
    }

    /// Sends bytes; returns (data, SW as 0x9000-style integer).
    @discardableResult
    func send(_ apdu: [UInt8]) -> (data: [UInt8], sw: UInt16) {
        let r = applet.process(apdu: apdu)
        precondition(r.count >= 2, "response without status word")
        return (Array(r.dropLast(2)), UInt16(r[r.count - 2]) << 8 | UInt16(r[r.count - 1]))
    }

    /// Builds a short APDU the way libykpiv does (Lc always present, no Le).
    @discardableResult
    func command(_ ins: UInt8, _ p1: UInt8, _ p2: UInt8, _ data: [UInt8] = [], cla: UInt8 = 0) -> (data: [UInt8], sw: UInt16) {
        send([cla, ins, p1, p2, UInt8(data.count)] + data)
    }

    /// Sends with libykpiv's chaining (255-byte segments) and collects 61xx via GET RESPONSE.
    func transfer(_ ins: UInt8, _ p1: UInt8, _ p2: UInt8, _ data: [UInt8]) -> (data: [UInt8], sw: UInt16) {
        var rest = data[...]
        var last: (data: [UInt8], sw: UInt16) = ([], 0)
        repeat {
            let chunk = Array(rest.prefix(255))
            rest = rest.dropFirst(chunk.count)
            last = command(ins, p1, p2, chunk, cla: rest.isEmpty ? 0x00 : 0x10)
            if !rest.isEmpty && last.sw != 0x9000 { return last }
        } while !rest.isEmpty
        var out = last.data
        var sw = last.sw
        while sw >> 8 == 0x61 {
            let r = send([0x00, 0xC0, 0x00, 0x00, 0x00])
            out += r.data
            sw = r.sw
        }
        return (out, sw)
    }

    func selectPIV() { XCTAssertEqual(command(0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x03, 0x08]).sw, 0x9000) }

    @discardableResult
    func verify(_ pin: String) -> UInt16 { command(0x20, 0x00, 0x80, SecretReference.pad(pin)).sw }

    /// Mutual authentication exactly as ykpiv_authenticate does it (and the AES variant).
    @discardableResult
    func authenticate(key: [UInt8] = CardState.defaultTDESKey, algorithm: UInt8 = PIVAlgorithm.tdes) -> UInt16 {
        let mk = ManagementKey(algorithm: algorithm, key: key.hexString, touch: 1)
        let n = mk.blockSize
        let step1 = command(0x87, algorithm, 0x9B, [0x7C, 0x02, 0x80, 0x00])
        guard step1.sw == 0x9000, step1.data.count == 4 + n else { return step1.sw }
        let witness = Array(step1.data[4...])
        let decrypted = try! ManagementCipher.decrypt(witness, key: mk)
        let challenge = (0..<n).map { _ in UInt8.random(in: 0...255) }
        let body = [0x80, UInt8(n)] + decrypted + [0x81, UInt8(n)] + challenge
        let step2 = command(0x87, algorithm, 0x9B, [0x7C, UInt8(body.count)] + body)
        guard step2.sw == 0x9000 else { return step2.sw }
        XCTAssertEqual(Array(step2.data[4...]), try! ManagementCipher.encrypt(challenge, key: mk), "card proof")
        return step2.sw
    }

    /// GENERATE in `slot` (auth must be done); returns the uncompressed point.
    func generate(slot: UInt8, algorithm: UInt8 = PIVAlgorithm.eccP256, pin: UInt8 = 0, touch: UInt8 = 0) -> [UInt8] {
        var inner: [UInt8] = [0x80, 0x01, algorithm]
        if pin != 0 { inner += [0xAA, 0x01, pin] }
        if touch != 0 { inner += [0xAB, 0x01, touch] }
        let r = command(0x47, 0x00, slot, [0xAC, UInt8(inner.count)] + inner)
        XCTAssertEqual(r.sw, 0x9000)
        return r.data.count > 5 ? Array(r.data[5...]) : []
    }

    func importKey(slot: UInt8, scalar: [UInt8], algorithm: UInt8 = PIVAlgorithm.eccP256, pin: UInt8 = 0, touch: UInt8 = 0) -> UInt16 {
        var data: [UInt8] = [0x06, UInt8(scalar.count)] + scalar
        if pin != 0 { data += [0xAA, 0x01, pin] }
        if touch != 0 { data += [0xAB, 0x01, touch] }
        return command(0xFE, algorithm, slot, data).sw
    }

    /// ECDH as ykpiv_decipher_data sends it.
    func ecdh(slot: UInt8, peer: [UInt8], algorithm: UInt8 = PIVAlgorithm.eccP256) -> (data: [UInt8], sw: UInt16) {
        let inner: [UInt8] = [0x82, 0x00, 0x85, UInt8(peer.count)] + peer
        let r = command(0x87, algorithm, slot, [0x7C, UInt8(inner.count)] + inner)
        return (r.sw == 0x9000 ? Array(r.data.dropFirst(4)) : r.data, r.sw)
    }

    func sign(slot: UInt8, digest: [UInt8]) -> (data: [UInt8], sw: UInt16) {
        let inner: [UInt8] = [0x82, 0x00, 0x81, UInt8(digest.count)] + digest
        let r = command(0x87, PIVAlgorithm.eccP256, slot, [0x7C, UInt8(inner.count)] + inner)
        guard r.sw == 0x9000 else { return r }
        // 7C L 82 L2 sig (lengths < 0x80 for P-256)
        return (Array(r.data.dropFirst(4)), r.sw)
    }
}

extension UInt16 {
    var hex: String { String(format: "%04X", self) }
}
