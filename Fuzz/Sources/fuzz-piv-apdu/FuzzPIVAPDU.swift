import Foundation
import PIVSimulator

// The software card's command parser (APDU header, Lc/Le forms, command chaining, BER-TLV data)
// and every applet command behind it. One input is a session: a series of APDUs, each prefixed
// by a big-endian u16 length, sent in order to a fresh applet on one factory card — so the
// fuzzer can SELECT, VERIFY the default PIN and authenticate before reaching deeper commands.

// The factory card (attestation key and certificate) is made once: it is the slow part.
private let factoryCard = CardState.factory(serial: 0x4B52_0001)

private func apdus(_ bytes: [UInt8]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var i = 0
    while i + 2 <= bytes.count, out.count < 64 {
        let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
        i += 2
        let end = min(bytes.count, i + length)
        out.append(Array(bytes[i..<end]))
        i = end
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPIVAPDU(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let applet = PIVApplet(state: factoryCard, touch: { .auto })
    applet.waitForTouch = { _ in true } // never sleep
    applet.powerOn()
    for apdu in apdus(bytes) {
        let response = applet.process(apdu: apdu)
        precondition(response.count >= 2, "a response APDU without a status word")
    }
    return 0
}
