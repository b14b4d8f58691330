import COpenSSLCrypto
import Crypto

/// ChaCha20-Poly1305 for STREAM chunks, from OpenSSL's libcrypto. The payload is nearly all of
/// age's work, and there swift-crypto's BoringSSL stops at AVX2 while libcrypto has AVX-512
/// ChaCha20 and Poly1305: on the EPYC scripts/bench was tuned on, `openssl speed -evp
/// chacha20-poly1305` seals 64 KiB at 3.0 GB/s per core, and a profile of the BoringSSL build of
/// `keyrack age encrypt` showed its seal at about 1.4 GB/s. It works on caller memory — a chunk is sealed in place with its tag right
/// after it, and opened into a buffer the caller reuses — and a context per call keeps chunks
/// independent, so several cores can seal or open at once.
/// `@unchecked`: wraps libcrypto's cipher handle and a key buffer (C pointers), both written only
/// in `init`; every seal and open makes its own EVP context.
final class ChunkCipher: @unchecked Sendable {
    /// The cipher fetched once: in OpenSSL 3 a legacy `EVP_chacha20_poly1305()` would be looked
    /// up in the provider again on every init.
    private let cipher: OpaquePointer
    private let key: UnsafeMutablePointer<UInt8>

    init(key: SymmetricKey) {
        // Only a libcrypto without ChaCha20-Poly1305 (a broken install) can make this fail.
        guard let cipher = EVP_CIPHER_fetch(nil, "ChaCha20-Poly1305", nil) else { fatalError("libcrypto has no ChaCha20-Poly1305") }
        self.cipher = cipher
        self.key = .allocate(capacity: 32)
        key.withUnsafeBytes { k in
            precondition(k.count == 32, "the payload key is HKDF output of 32 bytes")
            self.key.update(from: k.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 32)
        }
    }

    deinit {
        OPENSSL_cleanse(key, 32)
        key.deallocate()
        EVP_CIPHER_free(cipher)
    }

    /// One libcrypto cipher context, reused chunk after chunk by one thread (a context per
    /// chunk would be an allocation and a provider set-up per 64 KiB). Not shared.
    final class Context {
        fileprivate let ctx: OpaquePointer
        init() {
            guard let ctx = EVP_CIPHER_CTX_new() else { fatalError("libcrypto cannot allocate a cipher context") }
            self.ctx = ctx
        }
        deinit { EVP_CIPHER_CTX_free(ctx) }
    }

    /// Sets `context` up for one chunk: the cipher is given only on its first use, later inits
    /// change key and nonce and keep the provider's state.
    private func start(_ context: Context, counter: UInt64, last: Bool, encrypt: Bool) -> Bool {
        var nonce = STREAM.nonce(counter, last: last)
        let fresh = EVP_CIPHER_CTX_get0_cipher(context.ctx) == nil
        return withUnsafeBytes(of: &nonce) { nonce in
            EVP_CipherInit_ex(context.ctx, fresh ? cipher : nil, nil, key, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), encrypt ? 1 : 0) == 1
        }
    }

    /// Encrypts `chunk` where it lies and writes its 16-byte tag to `tag` (which must not
    /// overlap it). Cannot fail for STREAM's sizes; a failure would be a libcrypto defect.
    func seal(_ chunk: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawPointer, counter: UInt64, last: Bool, context: Context = Context()) {
        let ctx = context.ctx
        let p = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0, final: Int32 = 0
        let ok = start(context, counter: counter, last: last, encrypt: true)
            && (chunk.isEmpty || EVP_EncryptUpdate(ctx, p, &written, p, Int32(chunk.count)) == 1)
            && EVP_EncryptFinal_ex(ctx, p.map { $0 + Int(written) }, &final) == 1
            && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, Int32(STREAM.tagSize), tag) == 1
        precondition(ok && Int(written + final) == chunk.count, "ChaCha20-Poly1305 seal failed")
    }

    /// Authenticates and decrypts `sealed` (ciphertext ‖ 16-byte tag) into `plaintext`, which
    /// must hold `sealed.count - 16` bytes and not overlap it. Returns false when the chunk does
    /// not authenticate under this counter and flag; `plaintext` is then zeroed (libcrypto
    /// decrypts before it checks the tag) and `sealed` untouched, so the caller can try the
    /// other flag.
    func open(_ sealed: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawPointer, counter: UInt64, last: Bool, context: Context = Context()) -> Bool {
        precondition(sealed.count >= STREAM.tagSize)
        let length = sealed.count - STREAM.tagSize
        let ok = decrypt(UnsafeMutableRawPointer(mutating: sealed.baseAddress!), length: length, into: plaintext, counter: counter, last: last, context: context)
        if !ok { OPENSSL_cleanse(plaintext, length) }
        return ok
    }

    /// Authenticates and decrypts `sealed` (ciphertext ‖ 16-byte tag) where it lies: the
    /// plaintext replaces the ciphertext, so opening needs no second buffer. Returns false when
    /// the chunk does not authenticate under this counter and flag; the ciphertext is then put
    /// back (ChaCha20 is a XOR with a keystream: applying it again undoes the decryption
    /// libcrypto did before it checked the tag), so no unauthenticated plaintext stays behind
    /// and the caller can try the other flag.
    func openInPlace(_ sealed: UnsafeMutableRawBufferPointer, counter: UInt64, last: Bool, context: Context) -> Bool {
        precondition(sealed.count >= STREAM.tagSize)
        let length = sealed.count - STREAM.tagSize
        let p = sealed.baseAddress!
        if decrypt(p, length: length, into: p, counter: counter, last: last, context: context) { return true }
        if length > 0 {
            let q = p.assumingMemoryBound(to: UInt8.self)
            var written: Int32 = 0
            let restored = start(context, counter: counter, last: last, encrypt: true)
                && EVP_EncryptUpdate(context.ctx, q, &written, q, Int32(length)) == 1 && Int(written) == length
            precondition(restored, "ChaCha20 keystream failed")
        }
        return false
    }

    private func decrypt(_ sealed: UnsafeMutableRawPointer, length: Int, into plaintext: UnsafeMutableRawPointer, counter: UInt64, last: Bool, context: Context) -> Bool {
        let ctx = context.ctx
        let input = sealed.assumingMemoryBound(to: UInt8.self)
        let out = plaintext.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0, final: Int32 = 0
        return start(context, counter: counter, last: last, encrypt: false)
            && (length == 0 || EVP_DecryptUpdate(ctx, out, &written, input, Int32(length)) == 1)
            // SET_TAG copies the tag; the pointer is not written through.
            && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(STREAM.tagSize), input + length) == 1
            && EVP_DecryptFinal_ex(ctx, out + Int(written), &final) == 1
    }
}
