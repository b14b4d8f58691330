@testable import AgeFormat

// The armor decoder, on its own (so mutations are not wasted on the header behind it). Armor is
// strict, so whatever decodes must survive a re-encode and decode unchanged.

private func decodeArmor(_ bytes: [UInt8]) throws -> [UInt8] {
    let reader = ArmorReader(source: PeekableSource(BytesSource(bytes)))
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 700) // not a multiple of a line: exercises partial reads
    while true {
        let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        if n == 0 { return out }
        out += buffer[..<n]
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgeArmor(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let decoded = try? decodeArmor(bytes) else { return 0 }
    let sink = BytesSink()
    let writer = try! ArmorWriter(sink: sink)
    try! writer.write(decoded)
    try! writer.finish()
    let again = try? decodeArmor(sink.bytes)
    precondition(again == decoded, "armor decoded from the input does not survive re-encoding")
    return 0
}
