import Crypto
import Foundation
import NIOCore
import NIOSSL

/// A client key whose private half never leaves its holder (a YubiKey's PIV slot): the TLS
/// handshake's one CertificateVerify signature is delegated to `sign`. P-256 with SHA-256 only,
/// which is what a PIV ECC slot does and what TLS 1.3 and 1.2 servers accept.
public protocol TLSClientSigner: AnyObject, Sendable {
    /// The certificate of the key, DER (the one the server's `cert` auth trusts).
    var certificateDER: [UInt8] { get }
    /// ECDSA over a SHA-256 digest; returns the DER signature. May block (PIN, touch).
    func sign(digest: [UInt8]) throws -> [UInt8]
}

/// swift-nio-ssl's hook for a key it cannot hold: BoringSSL asks, the signer answers on another
/// thread (a card can wait seconds for a touch), the handshake resumes when the future completes.
struct DelegatedKey: NIOSSLCustomPrivateKey, Hashable {
    let signer: TLSClientSigner
    /// Counts the signatures, so a caller can tell that a handshake asked for one.
    let counter: SignatureCounter

    var signatureAlgorithms: [SignatureAlgorithm] { [.ecdsaSecp256R1Sha256] }

    func sign(channel: Channel, algorithm: SignatureAlgorithm, data: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        guard algorithm == .ecdsaSecp256R1Sha256 else {
            promise.fail(OpenBaoError.tls(address: "", reason: "the server asked for signature algorithm \(algorithm), the card signs ECDSA P-256 SHA-256 only"))
            return promise.futureResult
        }
        let digest = [UInt8](SHA256.hash(data: Array(data.readableBytesView)))
        let signer = self.signer, counter = self.counter
        DispatchQueue.global().async {
            do {
                let signature = try signer.sign(digest: digest)
                counter.add()
                promise.succeed(ByteBuffer(bytes: signature))
            } catch {
                counter.fail(error)
                promise.fail(error)
            }
        }
        return promise.futureResult
    }

    func decrypt(channel: Channel, data: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        channel.eventLoop.makeFailedFuture(OpenBaoError.tls(address: "", reason: "RSA key exchange is not supported by a card login"))
    }

    static func == (a: DelegatedKey, b: DelegatedKey) -> Bool { a.signer === b.signer }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(signer)) }
}

/// How many signatures the card made for this client, and the last card error (so a handshake
/// that failed because the card refused reports the card's reason, not "handshake failed").
final class SignatureCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var error: Error?
    func add() { lock.withLock { count += 1 } }
    func fail(_ e: Error) { lock.withLock { error = e } }
    var signatures: Int { lock.withLock { count } }
    var cardError: Error? { lock.withLock { error } }
}
