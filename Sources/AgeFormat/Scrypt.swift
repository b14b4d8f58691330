import Crypto
import _CryptoExtras

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Passphrase encryption, age's `scrypt` recipient type.
//
//     -> scrypt <base64 salt, 16 bytes> <log2 N, decimal>
//     <ChaCha20-Poly1305(wrap key, zero nonce, file key)>
//
// wrap key = scrypt(N = 2^logN, r = 8, p = 1, dkLen = 32, S = label || salt, P = passphrase).
//
// A passphrase file has exactly one stanza. Anyone holding a public key could otherwise add a
// second stanza to a file "encrypted with a passphrase", and the reader would believe only people
// knowing the passphrase made it. The recipient enforces that on write (a unique label no other
// recipient shares), the identity on read (it refuses a header where scrypt has company).

enum ScryptFormat {
    static let stanzaType = "scrypt"
    static let saltLabel = Array("age-encryption.org/v1/scrypt".utf8)
    static let saltSize = 16
    static let bodySize = FileKey.byteCount + 16
    static let blockSize = 8
    static let parallelism = 1

    /// scrypt with age's parameters. The memory cap is the exact need (128·r·N) plus slack, so
    /// BoringSSL accepts every work factor the caller allowed, and nothing more.
    static func wrapKey(passphrase: [UInt8], salt: [UInt8], logN: Int) throws -> SymmetricKey {
        let n = 1 << logN
        let memory = 128 * blockSize * n * parallelism + 4 * 1024 * 1024
        do {
            return try KDF.Scrypt.deriveKey(from: passphrase, salt: saltLabel + salt, outputByteCount: 32,
                                            rounds: n, blockSize: blockSize, parallelism: parallelism,
                                            maxMemory: memory)
        } catch {
            throw AgeError.scrypt("scrypt key derivation failed for work factor 2^\(logN): \(error)")
        }
    }

    /// Parses the work-factor argument: `^[1-9][0-9]*$` only, so `010`, `+10`, `0xa` and ` 10`
    /// never mean 10. Returns nil for anything else, and a value capped at Int.max / 2 digits so a
    /// 40-digit number cannot overflow.
    static func parseLogN(_ text: String) -> Int? {
        let digits = Array(text.utf8)
        guard let first = digits.first, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first),
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        if digits.count > 4 { return Int.max }  // far beyond any limit; keeps the arithmetic small
        return Int(text)
    }
}

/// Encrypts to a passphrase. The passphrase bytes are used as given (age takes them as typed).
public struct ScryptRecipient: Recipient, Sendable {
    private let passphrase: [UInt8]
    /// log2 of scrypt's N. 18 (age's default) costs 256 MiB and about a second.
    public let workFactor: Int
    private let uniqueLabel: String

    /// - Parameter workFactor: log2 of scrypt's N, 1…30 (age's range); 18 is age's default.
    public init(passphrase: [UInt8], workFactor: Int = 18) {
        precondition((1...30).contains(workFactor), "scrypt work factor must be in 1...30")
        self.passphrase = passphrase
        self.workFactor = workFactor
        // A label nothing else carries: the file cannot hold this stanza beside any other one,
        // not even another scrypt recipient's, which has its own random label.
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        self.uniqueLabel = "scrypt-" + bytes.map { String(Int($0) + 256, radix: 16).dropFirst() }.joined()
    }

    public var labels: Set<String> { [uniqueLabel] }

    public func wrap(_ fileKey: FileKey) throws -> [Stanza] {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<ScryptFormat.saltSize).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        let key = try ScryptFormat.wrapKey(passphrase: passphrase, salt: salt, logN: workFactor)
        let body = try ZeroNonceChaCha.sealZeroNonce(fileKey.bytes, key: key)
        return [Stanza(type: ScryptFormat.stanzaType,
                       arguments: [AgeBase64.encodeUnpadded(salt), String(workFactor)],
                       body: body)]
    }
}

/// Decrypts passphrase-encrypted files.
///
/// A wrong passphrase is "not mine" (`unwrap` returns nil), as in age: the caller then reports
/// `AgeError.noMatchingIdentity(stanzaTypes: ["scrypt"])`, which a CLI renders as "incorrect
/// passphrase". Structural faults (bad salt, bad work factor, a work factor above the limit,
/// scrypt beside another stanza) throw, because no passphrase could ever make them right.
public struct ScryptIdentity: Identity, Sendable {
    private let passphrase: [UInt8]
    /// The largest log2 N accepted. 22 (age's default) caps memory at 4 GiB; a file asking for
    /// more is refused before any work is done, so a hostile file cannot exhaust the machine.
    public let maxWorkFactor: Int

    public init(passphrase: [UInt8], maxWorkFactor: Int = 22) {
        precondition((1...30).contains(maxWorkFactor), "scrypt max work factor must be in 1...30")
        self.passphrase = passphrase
        self.maxWorkFactor = maxWorkFactor
    }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        guard let stanza = stanzas.first(where: { $0.type == ScryptFormat.stanzaType }) else { return nil }
        guard stanzas.count == 1 else {
            throw AgeError.malformedHeader("an scrypt stanza must be the only stanza in the file, found \(stanzas.count) stanzas")
        }
        guard stanza.arguments.count == 2 else {
            throw AgeError.malformedStanza("scrypt stanza has \(stanza.arguments.count) arguments, want 2 (salt and work factor)")
        }
        guard let salt = AgeBase64.decodeUnpadded(stanza.arguments[0]), salt.count == ScryptFormat.saltSize else {
            throw AgeError.malformedStanza("scrypt salt is not canonical base64 of \(ScryptFormat.saltSize) bytes")
        }
        guard let logN = ScryptFormat.parseLogN(stanza.arguments[1]) else {
            throw AgeError.malformedStanza("scrypt work factor is not a decimal number without leading zeros")
        }
        guard logN <= maxWorkFactor else {
            throw AgeError.scrypt("scrypt work factor 2^\(stanza.arguments[1]) is above the limit 2^\(maxWorkFactor): refusing to spend that much memory and time; the file may be hostile")
        }
        guard stanza.body.count == ScryptFormat.bodySize else {
            throw AgeError.malformedStanza("scrypt stanza body is \(stanza.body.count) bytes, want \(ScryptFormat.bodySize)")
        }
        let key = try ScryptFormat.wrapKey(passphrase: passphrase, salt: salt, logN: logN)
        guard let plain = ZeroNonceChaCha.openZeroNonce(stanza.body, key: key) else { return nil }
        return try FileKey(bytes: plain)
    }
}

/// ChaCha20-Poly1305 with the all-zero nonce, as age's stanza bodies use it (each wrap key is
/// fresh, so the fixed nonce is never reused under one key).
private enum ZeroNonceChaCha {
    static func sealZeroNonce(_ plaintext: [UInt8], key: SymmetricKey) throws -> [UInt8] {
        let box = try ChaChaPoly.seal(plaintext, using: key, nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
        return [UInt8](box.ciphertext) + [UInt8](box.tag)
    }

    static func openZeroNonce(_ sealed: [UInt8], key: SymmetricKey) -> [UInt8]? {
        guard sealed.count >= 16,
              let nonce = try? ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)),
              let box = try? ChaChaPoly.SealedBox(nonce: nonce, ciphertext: sealed.dropLast(16), tag: sealed.suffix(16)),
              let plain = try? ChaChaPoly.open(box, using: key) else { return nil }
        return [UInt8](plain)
    }
}
