import AgeFormat
import SecretBytes
import SwiftASN1

/// PKCS#1 `RSAPrivateKey` (RFC 8017 A.1.2), the `-----BEGIN RSA PRIVATE KEY-----` format that
/// `ssh-keygen -m PEM` and older OpenSSH versions write, read with swift-asn1's DER parser
/// (strict DER: minimal lengths and integers, no trailing bytes).
enum PKCS1PrivateKey {
    static let pemLabel = "RSA PRIVATE KEY"

    static func parse(_ der: [UInt8]) throws -> any Identity & SSHPublicKeyHolder {
        let components: [ArraySlice<UInt8>]
        do {
            components = try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                // version 1 is multi-prime and carries otherPrimeInfos after the eight numbers.
                guard try Int(derEncoded: &nodes) == 0 else { throw MultiPrime() }
                // n, e, d, p, q, then d mod (p−1), d mod (q−1) and q⁻¹ mod p, which the key
                // derives again itself (an OpenSSH key file has only the last of them).
                return try (0..<8).map { _ in try ArraySlice<UInt8>(derEncoded: &nodes) }
            }
        } catch is MultiPrime {
            throw malformed("multi-prime (version 1) RSA keys are not supported")
        } catch {
            // swift-asn1's own message names its source lines; this one names the file's problem.
            throw malformed("the DER structure is not an RSAPrivateKey (a SEQUENCE of nine non-negative INTEGERs)")
        }
        let n = Array(components[0]), e = Array(components[1])
        var d = Array(components[2]), p = Array(components[3]), q = Array(components[4])
        defer { wipe(&d); wipe(&p); wipe(&q) }
        return try SSHRSAIdentity(n: n, e: e, d: d, p: p, q: q, comment: nil)
    }

    private struct MultiPrime: Error {}

    private static func malformed(_ why: String) -> SSHKeyError {
        .malformedKey("PKCS#1 RSA private key: \(why)")
    }
}
