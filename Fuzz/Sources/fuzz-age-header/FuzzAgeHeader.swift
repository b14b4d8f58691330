@testable import AgeFormat

// The age header and stanza parser. Beyond "no crash", it checks the property the MAC relies on:
// a header that parses re-encodes to exactly the bytes read (one encoding per header).

private let someKey = try! FileKey(bytes: [UInt8](repeating: 7, count: FileKey.byteCount))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgeHeader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let (header, offset) = try? Header.parse(bytes) else { return 0 }
    precondition(offset <= bytes.count, "payload offset \(offset) past the input (\(bytes.count) bytes)")
    let reencoded = try! Header.encodeWithoutMAC(header.stanzas)
    precondition(reencoded == header.macInput, "a parsed header does not re-encode to the bytes read")
    precondition(Array(bytes[..<header.macInput.count]) == header.macInput, "macInput is not a prefix of the input")
    precondition(header.mac.count == 32, "MAC of \(header.mac.count) bytes")
    _ = header.verifyMAC(fileKey: someKey)
    return 0
}
