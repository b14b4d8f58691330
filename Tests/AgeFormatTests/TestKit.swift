import Crypto
import XCTest
import TestSupport
@testable import AgeFormat

/// Builds age files byte by byte, the way the C2SP CCTV generator describes its vectors (file key
/// "YELLOW SUBMARINE", the CCTV test identity), so each vector's scenario can be rebuilt here and
/// checked against the expectation the CCTV suite records for it. Written from the vector
/// descriptions; no generated data is copied.
struct TestFile {
    static let identityString = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"
    static let identity = try! Bech32.decode(identityString).data
    static let largeFileKey = hex("7aa5bdac0e6afeed3dd0a7eccb42af44")
    static let largeNonce = hex("c82f71eb82029b77136399e485e879f4")
    static let chunk0 = [UInt8](repeating: 0, count: 65536)
    static let chunk1 = [UInt8](repeating: 1, count: 65536)
    static let chunk2 = [UInt8](repeating: 2, count: 65536)

    var buf: [UInt8] = []
    var fileKey: [UInt8] = Array("YELLOW SUBMARINE".utf8)
    var payload: [UInt8] = []
    private var streamKey = SymmetricKey(size: .bits256)
    private var nonce = [UInt8](repeating: 0, count: 12)

    mutating func text(_ line: String) { buf += Array((line + "\n").utf8) }
    mutating func version(_ v: String = "v1") { text("age-encryption.org/" + v) }
    mutating func args(_ a: String...) { text((["->"] + a).joined(separator: " ")) }

    /// Removes and returns the last line (without its LF).
    mutating func unreadLine() -> String {
        if buf.last == 0x0A { buf.removeLast() }
        let start = (buf.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
        let line = String(decoding: buf[start...], as: UTF8.self)
        buf.removeSubrange(start...)
        return line
    }

    mutating func body(_ bytes: [UInt8]) {
        var rest = bytes[...]
        while true {
            let line = rest.prefix(48)
            text(AgeBase64.encodeUnpadded(line))
            rest = rest.dropFirst(line.count)
            if line.count < 48 { break }
        }
    }

    mutating func aeadBody(key: SymmetricKey, _ plaintext: [UInt8]) {
        let box = try! ChaChaPoly.seal(plaintext, using: key, nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
        body(Array(box.ciphertext) + Array(box.tag))
    }

    static func x25519(_ scalar: [UInt8], _ point: [UInt8]) -> [UInt8] {
        let key = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: scalar)
        let ss = try! key.sharedSecretFromKeyAgreement(with: Curve25519.KeyAgreement.PublicKey(rawRepresentation: point))
        return ss.withUnsafeBytes { Array($0) }
    }

    static var basepoint: [UInt8] { [9] + [UInt8](repeating: 0, count: 31) }

    /// A stanza for `identity` from a random ephemeral share.
    mutating func x25519Stanza(identity: [UInt8] = TestFile.identity) {
        x25519Stanza(share: TestFile.x25519(randomBytes(32), TestFile.basepoint), identity: identity)
    }

    /// A stanza computed from the identity side, for shares whose discrete log is unknown.
    mutating func x25519Stanza(share: [UInt8], identity: [UInt8] = TestFile.identity, argument: String? = nil) {
        let recipient = TestFile.x25519(identity, TestFile.basepoint)
        args("X25519", argument ?? AgeBase64.encodeUnpadded(share))
        let secret = TestFile.x25519(identity, share)
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: secret), salt: share + recipient,
                                         info: Array("age-encryption.org/v1/X25519".utf8), outputByteCount: 32)
        aeadBody(key: key, fileKey)
    }

    var macValue: [UInt8] {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: fileKey), info: Array("header".utf8), outputByteCount: 32)
        return Array(HMAC<SHA256>.authenticationCode(for: buf + Array("---".utf8), using: key))
    }

    mutating func hmac() { text("--- " + AgeBase64.encodeUnpadded(macValue)) }

    mutating func nonce(_ n: [UInt8]) {
        streamKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: fileKey), salt: n,
                                           info: Array("payload".utf8), outputByteCount: 32)
        buf += n
    }

    mutating func chunk(_ plaintext: [UInt8]) {
        payload += plaintext
        let box = try! ChaChaPoly.seal(plaintext, using: streamKey, nonce: ChaChaPoly.Nonce(data: nonce))
        buf += Array(box.ciphertext) + Array(box.tag)
        nonce[10] += 1
    }

    mutating func finalChunk(_ plaintext: [UInt8]) {
        payload += plaintext
        nonce[11] = 1
        let box = try! ChaChaPoly.seal(plaintext, using: streamKey, nonce: ChaChaPoly.Nonce(data: nonce))
        buf += Array(box.ciphertext) + Array(box.tag)
    }

    mutating func payload(_ text: String) {
        nonce(randomBytes(16))
        finalChunk(Array(text.utf8))
    }

    /// A valid one-recipient header for the test identity.
    mutating func standardHeader() {
        version()
        x25519Stanza()
        hmac()
    }

    /// Armors `file` the way the generator does: 48-byte lines, then explicit padding.
    static func armored(_ file: [UInt8], padding: Bool = true, eol: String = "\n") -> [UInt8] {
        var out = Array(("-----BEGIN AGE ENCRYPTED FILE-----" + eol).utf8)
        var rest = file[...]
        while !rest.isEmpty {
            let line = rest.prefix(48)
            out += AgeBase64.encode(line, padded: padding) + Array(eol.utf8)
            rest = rest.dropFirst(line.count)
        }
        out += Array(("-----END AGE ENCRYPTED FILE-----" + eol).utf8)
        return out
    }
}

func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

/// The CCTV outcome classes.
enum Outcome: String { case success, noMatch, hmacFailure, headerFailure, payloadFailure, armorFailure }

/// Decrypts like the CCTV harness: armored input is read through the armor reader, errors before
/// the payload are header-class, errors while reading plaintext are payload-class. Returns the
/// plaintext released before any error. `parallelism` picks how the payload is opened (the
/// default is what the CLI uses).
func decryptClassified(_ file: [UInt8], armored: Bool?, identities: [any Identity] = [try! X25519Identity(string: TestFile.identityString)],
                       parallelism: STREAMParallelism = .machine)
    -> (outcome: Outcome, released: [UInt8], error: AgeError?) {
    var released: [UInt8] = []
    let decryptor: AgeDecryptor
    do {
        decryptor = try AgeDecryptor(input: BytesSource(file), identities: identities, armored: armored)
    } catch let error as AgeError {
        switch error {
        case .malformedArmor: return (.armorFailure, [], error)
        case .noMatchingIdentity: return (.noMatch, [], error)
        case .headerMACMismatch: return (.hmacFailure, [], error)
        default: return (.headerFailure, [], error)
        }
    } catch { fatalError("non-age error \(error)") }
    do {
        let sink = BytesSink()
        defer { released = sink.bytes }
        try decryptor.decrypt(to: sink, parallelism: parallelism)
        return (.success, sink.bytes, nil)
    } catch let error as AgeError {
        switch error {
        case .malformedArmor: return (.armorFailure, released, error)
        case .malformedHeader: return (.headerFailure, released, error)
        default: return (.payloadFailure, released, error)
        }
    } catch { fatalError("non-age error \(error)") }
}
