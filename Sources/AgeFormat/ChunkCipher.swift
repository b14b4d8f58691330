import CCryptoBoringSSL
import Crypto

/// ChaCha20-Poly1305 for STREAM chunks, from swift-crypto's BoringSSL (the code behind
/// `ChaChaPoly`), called through its EVP_AEAD interface because that one works on caller memory:
/// `ChaChaPoly.seal`/`open` return a fresh `Data` per call and copy each chunk once more into
/// the sealed box, which on a large file is more work than the cipher itself saves. Here a chunk
/// is sealed in place with its tag written right after it, and opened into a buffer the caller
/// reuses; the key schedule is set up once per file, and BoringSSL documents one context as safe
/// for concurrent seal/open, which is what lets chunks be processed on several cores.
final class ChunkCipher: @unchecked Sendable {
    private let context: UnsafeMutablePointer<EVP_AEAD_CTX>

    init(key: SymmetricKey) {
        let made = key.withUnsafeBytes { key in
            CCryptoBoringSSL_EVP_AEAD_CTX_new(CCryptoBoringSSL_EVP_aead_chacha20_poly1305(),
                                              key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count, 16)
        }
        // Only allocation failure or a wrong key length (a programming error: the key is always
        // HKDF output of 32 bytes) can make this fail.
        guard let made else { fatalError("ChaCha20-Poly1305: cannot set up the payload key") }
        context = made
    }

    /// BoringSSL clears the context (and with it the key) as it frees it.
    deinit { CCryptoBoringSSL_EVP_AEAD_CTX_free(context) }

    /// Encrypts `chunk` where it lies and writes its 16-byte tag to `tag` (which must not
    /// overlap it). Cannot fail for STREAM's sizes; a failure would be a BoringSSL defect.
    func seal(_ chunk: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawPointer, counter: UInt64, last: Bool) {
        var nonce = STREAM.nonce(counter, last: last)
        var tagLength = 0
        let p = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let rc = withUnsafeBytes(of: &nonce) { nonce in
            CCryptoBoringSSL_EVP_AEAD_CTX_seal_scatter(context, p, tag.assumingMemoryBound(to: UInt8.self), &tagLength, STREAM.tagSize,
                                                       nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), nonce.count,
                                                       p, chunk.count, nil, 0, nil, 0)
        }
        precondition(rc == 1 && tagLength == STREAM.tagSize, "ChaCha20-Poly1305 seal failed")
    }

    /// Authenticates and decrypts `sealed` (ciphertext ‖ 16-byte tag) into `plaintext`, which
    /// must hold `sealed.count - 16` bytes and not overlap it. Returns false when the chunk does
    /// not authenticate under this counter and flag; `plaintext` is then zeroed and `sealed`
    /// untouched, so the caller can try the other flag.
    func open(_ sealed: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawPointer, counter: UInt64, last: Bool) -> Bool {
        precondition(sealed.count >= STREAM.tagSize)
        var nonce = STREAM.nonce(counter, last: last)
        let length = sealed.count - STREAM.tagSize
        let input = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let rc = withUnsafeBytes(of: &nonce) { nonce in
            CCryptoBoringSSL_EVP_AEAD_CTX_open_gather(context, plaintext.assumingMemoryBound(to: UInt8.self),
                                                      nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), nonce.count,
                                                      input, length, input + length, STREAM.tagSize, nil, 0)
        }
        return rc == 1
    }
}
