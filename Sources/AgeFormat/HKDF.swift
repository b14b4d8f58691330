import CSodium

/// age's key derivations and header MAC: HKDF-SHA-256 (RFC 5869) and HMAC-SHA-256, over
/// libsodium's HMAC-SHA-256. swift-crypto's `HKDF<SHA256>` and `HMAC<SHA256>` are generic, and
/// their first use in a process has the Swift runtime build their metadata from mangled names and
/// scan every protocol conformance of the binary: about 0.4 ms of each `unlock`, whose manifest
/// takes four of them (issue 32). libsodium 1.0.18 (Debian 12) has HMAC-SHA-256 but not yet
/// HKDF, which is two HMACs when, as everywhere in age, one 32-byte block is asked for.
/// `HKDFTests` holds this to swift-crypto's HKDF and HMAC and to RFC 5869's test vectors.
enum HKDFSHA256 {
    static let byteCount = 32

    /// `HKDF-Expand(HKDF-Extract(salt, ikm), info, 32)`. An empty salt is HMAC's key of 32 zero
    /// bytes, as the RFC says (HMAC pads every key with zeros to its block).
    static func derive(inputKeyMaterial ikm: [UInt8], salt: [UInt8], info: [UInt8]) -> [UInt8] {
        var prk = HMACSHA256.code(key: salt, message: ikm)
        defer { sodium_memzero(&prk, prk.count) }
        // T(1) = HMAC(PRK, info ‖ 0x01), all of a 32-byte output.
        return HMACSHA256.code(key: prk, message: info, trailingByte: 1)
    }
}

enum HMACSHA256 {
    static func code(key: [UInt8], message: [UInt8], trailingByte: UInt8? = nil) -> [UInt8] {
        precondition(AgeSodium.ready, "libsodium cannot initialise")
        var state = crypto_auth_hmacsha256_state()
        defer { sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size) }
        var out = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        // An empty key (HKDF's default salt) has no address: any byte with length 0 is it.
        var none: UInt8 = 0
        if key.isEmpty { crypto_auth_hmacsha256_init(&state, &none, 0) } else {
            key.withUnsafeBufferPointer { crypto_auth_hmacsha256_init(&state, $0.baseAddress!, $0.count) }
        }
        // An empty message has no address and adds nothing.
        message.withUnsafeBufferPointer { if let bytes = $0.baseAddress { crypto_auth_hmacsha256_update(&state, bytes, UInt64($0.count)) } }
        if var byte = trailingByte { crypto_auth_hmacsha256_update(&state, &byte, 1) }
        crypto_auth_hmacsha256_final(&state, &out)
        return out
    }

    /// Compares in constant time.
    static func isValid(_ mac: [UInt8], key: [UInt8], message: [UInt8]) -> Bool {
        var expected = code(key: key, message: message)
        defer { sodium_memzero(&expected, expected.count) }
        return mac.count == expected.count && sodium_memcmp(mac, expected, expected.count) == 0
    }
}

/// libsodium picks its fastest ChaCha20 and Poly1305 for this CPU in `sodium_init`; its other
/// functions are to be called after it too. Once per process.
enum AgeSodium {
    static let ready: Bool = { sodium_init() >= 0 }()
}
