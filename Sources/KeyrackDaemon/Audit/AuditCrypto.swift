import CSodium
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 and Ed25519 from libsodium, which the daemon already links (and initialises in
/// GuardedBytes), a long record's SHA-256 from libcrypto (`sha256`): never a hand-rolled hash.
public enum AuditCrypto {
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        bytes.withUnsafeBufferPointer { b in digest.withUnsafeMutableBufferPointer { sha256(b, into: $0.baseAddress!) } }
        return hex(digest)
    }

    /// The SHA-256 of `bytes`, its 32 bytes written at `digest`: the access log's chain (each
    /// record's `prev`, `audit verify`). libcrypto's, where it can be loaded: its SHA-NI/AVX2
    /// code hashes several times faster than libsodium's portable C, and an unlock of 10 000
    /// keys writes a 750 KB record (libsodium: 39 M of the daemon's 215 M instructions). Loaded
    /// at the first long record, not linked: keyrack-cli loads libcrypto on first use
    /// (CLibcryptoDeferred), and the static front end, which writes no log, links this module
    /// without it. Otherwise, and for a short record (a GET's, ~200 bytes: the one-shot's digest
    /// fetch, ~4 700 instructions, costs more there than libsodium's few blocks), libsodium's.
    static func sha256(_ bytes: UnsafeBufferPointer<UInt8>, into digest: UnsafeMutablePointer<UInt8>) {
        if bytes.count >= libcryptoFrom, let fast = libcryptoSHA256, let base = bytes.baseAddress {
            _ = fast(base, bytes.count, digest)
            return
        }
        sodiumSHA256(bytes, into: digest)
    }

    /// libsodium's SHA-256 (the short records', and every record's where libcrypto does not load).
    static func sodiumSHA256(_ bytes: UnsafeBufferPointer<UInt8>, into digest: UnsafeMutablePointer<UInt8>) {
        _ = sodium_init()
        crypto_hash_sha256(digest, bytes.baseAddress, UInt64(bytes.count))
    }

    /// The length from which libcrypto hashes (when it loads).
    static let libcryptoFrom = 4096

    /// OpenSSL's one-shot `SHA256(data, length, digest)`; nil when libcrypto cannot be loaded
    /// (then libsodium hashes everything: the same digests).
    private typealias OneShotSHA256 = @convention(c) (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?) -> UnsafeMutablePointer<UInt8>?
    private static let libcryptoSHA256: OneShotSHA256? = {
        // The process's own copy when it has one loaded (dlopen then only counts a reference).
        guard let library = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL), let symbol = dlsym(library, "SHA256") else { return nil }
        return unsafeBitCast(symbol, to: OneShotSHA256.self)
    }()

    /// Whether `sha256` hashes with libcrypto (for the test that the daemon's process does).
    static var hashesWithLibcrypto: Bool { libcryptoSHA256 != nil }

    public static func sha256Hex<S: StringProtocol>(_ text: S) -> String { sha256Hex(Array(text.utf8)) }

    /// The hash that stands before the first record (its `prev`).
    public static let genesisPrev = String(repeating: "0", count: 64)

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func unhex(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            default: nil
            }
        }
        var out = [UInt8]()
        var i = 0
        while i < u.count {
            guard let h = v(u[i]), let l = v(u[i + 1]) else { return nil }
            out.append(h << 4 | l); i += 2
        }
        return out
    }

    /// Ed25519 key pair from a 32-byte seed (the owner's checkpoint seed).
    public static func signingKey(seed: [UInt8]) -> (publicKey: [UInt8], secretKey: [UInt8])? {
        _ = sodium_init()
        guard seed.count == Int(crypto_sign_SEEDBYTES) else { return nil }
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        guard crypto_sign_seed_keypair(&pk, &sk, seed) == 0 else { return nil }
        return (pk, sk)
    }

    public static func sign(_ message: [UInt8], secretKey: [UInt8]) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        _ = crypto_sign_detached(&sig, nil, message, UInt64(message.count), secretKey)
        return sig
    }

    public static func verify(_ signature: [UInt8], _ message: [UInt8], publicKey: [UInt8]) -> Bool {
        _ = sodium_init()
        guard signature.count == Int(crypto_sign_BYTES), publicKey.count == Int(crypto_sign_PUBLICKEYBYTES) else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }

    public static func randomSeed() -> [UInt8] {
        _ = sodium_init()
        var seed = [UInt8](repeating: 0, count: Int(crypto_sign_SEEDBYTES))
        randombytes_buf(&seed, seed.count)
        return seed
    }

    /// What a checkpoint signs: domain, owner, its sequence number, its ordinal and the chain head
    /// (the hash of the record before it), so a signature cannot be moved to another place.
    public static func checkpointMessage(owner: String, seq: UInt64, ordinal: UInt64, head: String) -> [UInt8] {
        Array("keyrack-audit-checkpoint-v1\n\(owner)\n\(seq)\n\(ordinal)\n\(head)\n".utf8)
    }

    /// What a card checkpoint signs (the SHA-256 of it, the digest a PIV slot signs): domain,
    /// owner, the seq of the record it covers and that record's hash (the chain head then). A
    /// card checkpoint is its own record later in the chain, so the head is named, not implied.
    public static func cardCheckpointMessage(owner: String, seq: UInt64, head: String) -> [UInt8] {
        Array("keyrack-audit-card-checkpoint-v1\n\(owner)\n\(seq)\n\(head)\n".utf8)
    }

    public static func cardCheckpointDigest(owner: String, seq: UInt64, head: String) -> [UInt8] {
        _ = sodium_init()
        let message = cardCheckpointMessage(owner: owner, seq: seq, head: head)
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        _ = message.withUnsafeBufferPointer { crypto_hash_sha256(&digest, $0.baseAddress, UInt64($0.count)) }
        return digest
    }
}
