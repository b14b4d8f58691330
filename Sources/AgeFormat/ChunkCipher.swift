import COpenSSLCrypto
import CSodium
import Crypto

/// ChaCha20-Poly1305 for STREAM chunks, from OpenSSL's libcrypto. The payload is nearly all of
/// age's work, and there swift-crypto's BoringSSL stops at AVX2 while libcrypto has AVX-512
/// ChaCha20 and Poly1305: on the EPYC scripts/bench was tuned on, `openssl speed -evp
/// chacha20-poly1305` seals 64 KiB at 3.0 GB/s per core, and a profile of the BoringSSL build of
/// `keyrack age encrypt` showed its seal at about 1.4 GB/s. It works on caller memory — a chunk is sealed in place with its tag right
/// after it, and opened into a buffer the caller reuses — and a context per call keeps chunks
/// independent, so several cores can seal or open at once.
///
/// A chunk shorter than 64 KiB (only a stream's last can be, and a manifest is one such chunk)
/// goes to libsodium's ChaCha20-Poly1305 (IETF: the same AEAD, byte for byte) instead: libcrypto's
/// first cipher fetch sets up OpenSSL 3's default provider and reads openssl.cnf, 7.9 M
/// instructions and about 1.4 ms, half of what `age -d` of a 10-key manifest costs in all
/// (callgrind of `keyrack unlock`, 53.1 M instructions before). libsodium is loaded anyway and
/// has no such set-up; for one short chunk its speed does not matter.
///
/// A payload known to be small (a manifest read whole, `Age.decrypt`) has its full chunks opened
/// by swift-crypto's BoringSSL instead (ChunkCipher+BoringSSL.swift): loading libcrypto and that
/// first fetch cost 11.6 M instructions, a fifth of an unlock of 1 000 keys, for five chunks.
/// `@unchecked`: wraps a key buffer (a C pointer), written only in `init`; every seal and open
/// works in the caller's `Context`.
final class ChunkCipher: @unchecked Sendable {
    /// What opens the full 64 KiB chunks. Sealing them is libcrypto's either way: only a
    /// whole-buffer decrypt asks for BoringSSL.
    enum FullChunks { case libcrypto, boringSSL }

    private let key: UnsafeMutablePointer<UInt8>
    let fullChunks: FullChunks
    /// The same key for swift-crypto (zeroed by it when freed), for `.boringSSL`.
    let symmetricKey: SymmetricKey

    init(key: SymmetricKey, fullChunks: FullChunks = .libcrypto) {
        self.fullChunks = fullChunks
        symmetricKey = key
        self.key = .allocate(capacity: 32)
        key.withUnsafeBytes { k in
            precondition(k.count == 32, "the payload key is HKDF output of 32 bytes")
            self.key.update(from: k.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 32)
        }
    }

    deinit {
        sodium_memzero(key, 32)
        key.deallocate()
    }

    /// One thread's libcrypto state, reused chunk after chunk (a context per chunk would be an
    /// allocation and a provider set-up per 64 KiB). Not shared. Made on the first full chunk,
    /// so a stream of one short chunk never touches libcrypto.
    final class Context {
        private var made: (ctx: OpaquePointer, cipher: OpaquePointer)?

        init() {}

        /// The cipher context of this thread and the process's one fetched cipher: in OpenSSL 3
        /// a legacy `EVP_chacha20_poly1305()` would be looked up in the provider again on every
        /// init, and a fetch per context cost the second worker 3.2 M instructions (callgrind of
        /// an unlock of 10 000 keys) for the same answer.
        fileprivate var libcrypto: (ctx: OpaquePointer, cipher: OpaquePointer) {
            if let made { return made }
            guard let ctx = EVP_CIPHER_CTX_new() else { fatalError("libcrypto cannot allocate a cipher context") }
            made = (ctx, Context.cipher)
            return (ctx, Context.cipher)
        }

        /// Fetched once, on first use (a `static let` is initialised once, thread-safely), and
        /// kept for the process: an EVP_CIPHER is reference-counted and safe to share between
        /// threads (`nonisolated(unsafe)`: a C handle, never written after its initialisation).
        /// Only a libcrypto without ChaCha20-Poly1305 (a broken install) can fail here.
        nonisolated(unsafe) private static let cipher: OpaquePointer = {
            guard let cipher = EVP_CIPHER_fetch(nil, "ChaCha20-Poly1305", nil) else { fatalError("libcrypto has no ChaCha20-Poly1305") }
            return cipher
        }()

        deinit {
            if let made { EVP_CIPHER_CTX_free(made.ctx) }
        }
    }

    /// Whether a chunk of `length` plaintext bytes goes to libsodium (see the type's comment).
    private static func isShort(_ length: Int) -> Bool { length < STREAM.chunkSize }

    /// Sets `context` up for one chunk: the cipher is given only on its first use, later inits
    /// change key and nonce and keep the provider's state. Returns the libcrypto context.
    private func start(_ context: Context, counter: UInt64, last: Bool, encrypt: Bool) -> OpaquePointer? {
        let (ctx, cipher) = context.libcrypto
        var nonce = STREAM.nonce(counter, last: last)
        let fresh = EVP_CIPHER_CTX_get0_cipher(ctx) == nil
        let ok = withUnsafeBytes(of: &nonce) { nonce in
            EVP_CipherInit_ex(ctx, fresh ? cipher : nil, nil, key, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), encrypt ? 1 : 0) == 1
        }
        return ok ? ctx : nil
    }

    /// Encrypts `chunk` where it lies and writes its 16-byte tag to `tag` (which must not
    /// overlap it). Cannot fail for STREAM's sizes; a failure would be a libcrypto or libsodium defect.
    func seal(_ chunk: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawPointer, counter: UInt64, last: Bool, context: Context = Context()) {
        let p = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let mac = tag.assumingMemoryBound(to: UInt8.self)
        if Self.isShort(chunk.count) {
            precondition(AgeSodium.ready, "libsodium cannot initialise")
            var nonce = STREAM.nonce(counter, last: last)
            // In place (c == m) is supported by libsodium's detached API; the tag length is fixed at
            // 16. An empty chunk has no address: any valid one will do for its zero bytes.
            let bytes = p ?? mac
            let ok = withUnsafeBytes(of: &nonce) { nonce in
                crypto_aead_chacha20poly1305_ietf_encrypt_detached(bytes, mac, nil, bytes, UInt64(chunk.count), nil, 0, nil,
                                                                   nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), key) == 0
            }
            precondition(ok, "ChaCha20-Poly1305 seal failed")
            return
        }
        var written: Int32 = 0, final: Int32 = 0
        let ctx = start(context, counter: counter, last: last, encrypt: true)
        let ok = ctx != nil
            && EVP_EncryptUpdate(ctx, p, &written, p, Int32(chunk.count)) == 1
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
        if !ok { sodium_memzero(plaintext, length) }
        return ok
    }

    /// Authenticates and decrypts `sealed` (ciphertext ‖ 16-byte tag) where it lies: the
    /// plaintext replaces the ciphertext, so opening needs no second buffer. Returns false when
    /// the chunk does not authenticate under this counter and flag; the ciphertext is then as it
    /// was (libsodium checks the tag before it decrypts; after libcrypto, which decrypts first,
    /// it is put back: ChaCha20 is a XOR with a keystream, applying it again undoes the
    /// decryption), so no unauthenticated plaintext stays behind and the caller can try the
    /// other flag.
    func openInPlace(_ sealed: UnsafeMutableRawBufferPointer, counter: UInt64, last: Bool, context: Context) -> Bool {
        precondition(sealed.count >= STREAM.tagSize)
        let length = sealed.count - STREAM.tagSize
        let p = sealed.baseAddress!
        if decrypt(p, length: length, into: p, counter: counter, last: last, context: context) { return true }
        // BoringSSL opened a copy: the ciphertext in place was never touched.
        if !Self.isShort(length), fullChunks == .libcrypto {
            let q = p.assumingMemoryBound(to: UInt8.self)
            var written: Int32 = 0
            let ctx = start(context, counter: counter, last: last, encrypt: true)
            let restored = ctx != nil && EVP_EncryptUpdate(ctx, q, &written, q, Int32(length)) == 1 && Int(written) == length
            precondition(restored, "ChaCha20 keystream failed")
        }
        return false
    }

    private func decrypt(_ sealed: UnsafeMutableRawPointer, length: Int, into plaintext: UnsafeMutableRawPointer, counter: UInt64, last: Bool, context: Context) -> Bool {
        let input = sealed.assumingMemoryBound(to: UInt8.self)
        let out = plaintext.assumingMemoryBound(to: UInt8.self)
        if Self.isShort(length) {
            precondition(AgeSodium.ready, "libsodium cannot initialise")
            var nonce = STREAM.nonce(counter, last: last)
            return withUnsafeBytes(of: &nonce) { nonce in
                let n = nonce.baseAddress!.assumingMemoryBound(to: UInt8.self)
                // Checked first with no output (libsodium then only verifies), so a chunk that
                // fails leaves `out` untouched, also when it is the ciphertext itself.
                guard crypto_aead_chacha20poly1305_ietf_decrypt_detached(nil, nil, input, UInt64(length), input + length, nil, 0, n, key) == 0 else { return false }
                return crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, nil, input, UInt64(length), input + length, nil, 0, n, key) == 0
            }
        }
        if fullChunks == .boringSSL { return boringOpen(input, length: length, into: out, counter: counter, last: last) }
        var written: Int32 = 0, final: Int32 = 0
        let ctx = start(context, counter: counter, last: last, encrypt: false)
        return ctx != nil
            && EVP_DecryptUpdate(ctx, out, &written, input, Int32(length)) == 1
            // SET_TAG copies the tag; the pointer is not written through.
            && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, Int32(STREAM.tagSize), input + length) == 1
            && EVP_DecryptFinal_ex(ctx, out + Int(written), &final) == 1
    }
}
