import CSodium
import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Full chunks opened through swift-crypto's ChaChaPoly (BoringSSL, linked in and set up already)
/// for a payload known to be small: no libcrypto to load and no OpenSSL provider to set up, for a
/// speed (AVX2, about half of libcrypto's) that matters only past megabytes. Its API works on
/// its own buffers: a chunk goes in as a copy and comes back by one, so opening in place
/// never leaves unauthenticated plaintext where the ciphertext was.
extension ChunkCipher {
    /// Opens `length` bytes of ciphertext at `input` (its tag right after) into `out`, which may
    /// be `input` itself. On failure `out` is untouched.
    func boringOpen(_ input: UnsafePointer<UInt8>, length: Int, into out: UnsafeMutablePointer<UInt8>, counter: UInt64, last: Bool) -> Bool {
        var combined = Data(capacity: MemoryLayout<STREAM.ChunkNonce>.size + length + STREAM.tagSize)
        var n = STREAM.nonce(counter, last: last)
        withUnsafeBytes(of: &n) { combined.append(contentsOf: $0) }
        combined.append(input, count: length + STREAM.tagSize)
        guard let box = try? ChaChaPoly.SealedBox(combined: combined), var plain = try? ChaChaPoly.open(box, using: symmetricKey) else { return false }
        // The plaintext's only other copy: zeroed before swift-crypto's buffer is freed.
        defer { plain.withUnsafeMutableBytes { if let p = $0.baseAddress { sodium_memzero(p, $0.count) } } }
        guard plain.count == length else { return false }
        plain.withUnsafeBytes { out.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: length) }
        return true
    }
}
