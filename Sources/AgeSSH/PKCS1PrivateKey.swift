import AgeFormat

/// PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2), the `-----BEGIN RSA PRIVATE KEY-----` format that
/// `ssh-keygen -m PEM` and older OpenSSH versions write. Only the DER subset that structure needs
/// is read: a SEQUENCE of non-negative INTEGERs with definite lengths.
enum PKCS1PrivateKey {
    static let pemLabel = "RSA PRIVATE KEY"

    static func parse(_ der: [UInt8]) throws -> any Identity & SSHPublicKeyHolder {
        var outer = DERReader(der)
        var sequence = DERReader(try outer.read(tag: 0x30, "RSAPrivateKey sequence"))
        guard outer.isAtEnd else { throw malformed("trailing data after the key") }
        guard try sequence.readInteger("version") == [] else {
            throw malformed("multi-prime (version 1) RSA keys are not supported")
        }
        let n = try sequence.readInteger("modulus")
        let e = try sequence.readInteger("public exponent")
        let d = try sequence.readInteger("private exponent")
        let p = try sequence.readInteger("prime p")
        let q = try sequence.readInteger("prime q")
        return try SSHRSAIdentity(n: n, e: e, d: d, p: p, q: q, comment: nil)
    }

    fileprivate static func malformed(_ why: String) -> SSHKeyError {
        .malformedKey("PKCS#1 RSA private key: \(why)")
    }
}

/// Reads DER tag-length-value items.
private struct DERReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func read(tag: UInt8, _ what: String) throws -> [UInt8] {
        guard offset + 2 <= bytes.count, bytes[offset] == tag else {
            throw PKCS1PrivateKey.malformed("expected \(what)")
        }
        var length = Int(bytes[offset + 1])
        offset += 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, offset + count <= bytes.count else {
                throw PKCS1PrivateKey.malformed("bad length of \(what)")
            }
            length = bytes[offset..<offset + count].reduce(0) { $0 << 8 | Int($1) }
            offset += count
        }
        guard length <= bytes.count - offset else { throw PKCS1PrivateKey.malformed("\(what) is truncated") }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    /// A non-negative INTEGER as its magnitude without leading zeros.
    mutating func readInteger(_ what: String) throws -> [UInt8] {
        let raw = try read(tag: 0x02, what)
        guard let first = raw.first, first & 0x80 == 0 else {
            throw PKCS1PrivateKey.malformed("\(what) is empty or negative")
        }
        return Array(raw.drop(while: { $0 == 0 }))
    }
}
