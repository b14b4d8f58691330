import COpenSSLCrypto
import SecretBytes

// RSAES-OAEP with SHA-256, MGF1-SHA-256 and a label (age's ssh-rsa stanza), all of it from
// OpenSSL's libcrypto, which keyrack already links for STREAM's ChaCha20-Poly1305 (AgeFormat's
// ChunkCipher). swift-crypto's `_RSA.Encryption` cannot take a label; libcrypto's EVP interface
// can, and its decryption is blinded and its OAEP check constant-time, so no RSA arithmetic or
// padding is written here. Keys are built from their big-endian components (OpenSSH and PKCS#1
// files both hold them) through OSSL_PARAM, OpenSSL 3's non-deprecated way in.

/// Public-key encryption; the key is made per call from (n, e), which costs microseconds.
enum RSAOAEP {
    /// `message` encrypted to (n, e) under `label`: `n`'s byte count of ciphertext, or nil when
    /// libcrypto refuses (only an inconsistent key or a message too long for it can do that).
    static func encrypt(_ message: [UInt8], modulus n: [UInt8], exponent e: [UInt8], label: [UInt8]) -> [UInt8]? {
        var numbers = BigNumbers()
        guard let bn = numbers.make(n), let be = numbers.make(e),
              let key = LibcryptoKey.make([("n", bn), ("e", be)], selection: LibcryptoKey.publicKey) else { return nil }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: n.count)
        var length = out.count
        let ok = withParameters(label: label) { EVP_PKEY_encrypt_init_ex(ctx, $0) == 1 }
            && EVP_PKEY_encrypt(ctx, &out, &length, message, message.count) == 1
        guard ok, length == n.count else { return nil }
        return out
    }

    /// OAEP with SHA-256 for both the label hash and MGF1, and `label`: what age's ssh-rsa uses.
    /// libcrypto copies the label and reads the names during the call that takes them.
    static func withParameters<R>(label: [UInt8], _ body: (UnsafePointer<OSSL_PARAM>) -> R) -> R {
        label.withUnsafeBytes { label in
            let parameters = [
                OSSL_PARAM_construct_utf8_string(cString("pad-mode"), cString("oaep"), 0),
                OSSL_PARAM_construct_utf8_string(cString("digest"), cString("SHA256"), 0),
                OSSL_PARAM_construct_utf8_string(cString("mgf1-digest"), cString("SHA256"), 0),
                OSSL_PARAM_construct_octet_string(cString("oaep-label"), UnsafeMutableRawPointer(mutating: label.baseAddress), label.count),
                OSSL_PARAM_construct_end(),
            ]
            return parameters.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }
}

/// An RSA private key held by libcrypto, which clears its components when it is freed.
///
/// `@unchecked Sendable`: the EVP_PKEY is never changed after `init`, and OpenSSL documents a
/// key used read-only as safe to share between threads (each decryption makes its own context).
final class RSAPrivateKey: @unchecked Sendable {
    private let key: OpaquePointer
    /// The modulus length in bytes: the size of every ciphertext.
    let byteCount: Int

    enum Failure: Error { case inconsistent }

    /// From big-endian magnitudes. The CRT values libcrypto wants are derived from d, p and q
    /// (OpenSSH key files do not store d mod (p−1) and d mod (q−1)), and the components are
    /// checked as BoringSSL's RSA_check_key does: n = p·q and e·d ≡ 1 modulo p−1 and q−1. So a
    /// corrupted key file fails here, not at decryption. (libcrypto's own EVP_PKEY_check adds
    /// primality tests that take most of a second for a 4096-bit key, on every unlock.)
    init(n: [UInt8], e: [UInt8], d: [UInt8], p: [UInt8], q: [UInt8]) throws {
        var numbers = BigNumbers()
        guard let ctx = BN_CTX_secure_new() else { throw Failure.inconsistent }
        defer { BN_CTX_free(ctx) }
        guard let bn = numbers.make(n), let be = numbers.make(e), let bd = numbers.make(d),
              let bp = numbers.make(p), let bq = numbers.make(q),
              let pMinus1 = numbers.make(p), let qMinus1 = numbers.make(q),
              let dp = numbers.make([]), let dq = numbers.make([]), let qInverse = numbers.make([]), let scratch = numbers.make([]),
              BN_sub_word(pMinus1, 1) == 1, BN_sub_word(qMinus1, 1) == 1,
              BN_mul(scratch, bp, bq, ctx) == 1, BN_cmp(scratch, bn) == 0,
              BN_mod_mul(scratch, bd, be, pMinus1, ctx) == 1, BN_is_one(scratch) == 1,
              BN_mod_mul(scratch, bd, be, qMinus1, ctx) == 1, BN_is_one(scratch) == 1,
              BN_nnmod(dp, bd, pMinus1, ctx) == 1, BN_nnmod(dq, bd, qMinus1, ctx) == 1,
              BN_mod_inverse(qInverse, bq, bp, ctx) != nil,
              let key = LibcryptoKey.make([("n", bn), ("e", be), ("d", bd), ("rsa-factor1", bp), ("rsa-factor2", bq),
                                           ("rsa-exponent1", dp), ("rsa-exponent2", dq), ("rsa-coefficient1", qInverse)],
                                          selection: LibcryptoKey.keyPair)
        else { throw Failure.inconsistent }
        self.key = key
        byteCount = (Int(BN_num_bits(bn)) + 7) / 8
    }

    deinit { EVP_PKEY_free(key) }

    /// The message under `label`, or nil for every failure alike: a ciphertext of the wrong
    /// size or not below the modulus, bad padding, another label. libcrypto's OAEP check does
    /// not branch on where the padding is wrong (Manger's attack needs it to).
    func decrypt(_ ciphertext: [UInt8], label: [UInt8]) -> [UInt8]? {
        guard ciphertext.count == byteCount, let ctx = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: byteCount)
        defer { wipe(&out) }
        var length = out.count
        guard RSAOAEP.withParameters(label: label, { EVP_PKEY_decrypt_init_ex(ctx, $0) == 1 }),
              EVP_PKEY_decrypt(ctx, &out, &length, ciphertext, ciphertext.count) == 1 else { return nil }
        return Array(out.prefix(length))
    }
}

/// EVP_PKEY_fromdata for RSA.
private enum LibcryptoKey {
    // EVP_PKEY_PUBLIC_KEY and EVP_PKEY_KEYPAIR, macros Swift does not import.
    static let publicKey = Int32(OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS | OSSL_KEYMGMT_SELECT_OTHER_PARAMETERS | OSSL_KEYMGMT_SELECT_PUBLIC_KEY)
    static let keyPair = publicKey | Int32(OSSL_KEYMGMT_SELECT_PRIVATE_KEY)

    /// The names must be static strings: OSSL_PARAM_BLD keeps the pointers until `to_param`.
    static func make(_ fields: [(name: StaticString, value: OpaquePointer)], selection: Int32) -> OpaquePointer? {
        guard let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        for field in fields where OSSL_PARAM_BLD_push_BN(builder, cString(field.name), field.value) != 1 { return nil }
        // The secret numbers are secure-heap BIGNUMs, so their copies land in the block of the
        // array that OSSL_PARAM_free clears before freeing.
        guard let parameters = OSSL_PARAM_BLD_to_param(builder) else { return nil }
        defer { OSSL_PARAM_free(parameters) }
        // EVP_PKEY_CTX_new_from_name keeps the name's pointer too.
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, cString("RSA"), nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(ctx) == 1, EVP_PKEY_fromdata(ctx, &key, selection, parameters) == 1 else { return nil }
        return key
    }
}

/// BIGNUMs made for one operation, every one of them cleared and freed when it ends. All are
/// treated as secret (secure heap, constant-time flag): the public ones cost nothing extra.
private struct BigNumbers: ~Copyable {
    private var made: [OpaquePointer] = []

    /// A number holding the big-endian magnitude `bytes` (zero for none).
    mutating func make(_ bytes: [UInt8]) -> OpaquePointer? {
        guard let number = BN_secure_new() else { return nil }
        made.append(number)
        BN_set_flags(number, BN_FLG_CONSTTIME)
        return BN_bin2bn(bytes, Int32(bytes.count), number)
    }

    deinit { for number in made { BN_clear_free(number) } }
}

/// A C string pointer to static text, valid for the life of the process.
private func cString(_ text: StaticString) -> UnsafeMutablePointer<CChar> {
    UnsafeMutableRawPointer(mutating: text.utf8Start).assumingMemoryBound(to: CChar.self)
}
