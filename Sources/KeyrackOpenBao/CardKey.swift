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
        counter.begin()
        DispatchQueue.global().async {
            do {
                let signature = try signer.sign(digest: digest)
                counter.end(nil)
                promise.succeed(ByteBuffer(bytes: signature))
            } catch {
                counter.end(error)
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

/// How many signatures the card made for this client, the last card error (so a handshake that
/// failed because the card refused reports the card's reason, not "handshake failed"), and
/// whether one is still running: a server that drops the connection mid-signature must not let
/// the caller close the card under the signing thread.
/// `@unchecked`: its counts are reached only under `condition` (a condition variable, which
/// `waitIdle` needs and `Locked` does not offer).
final class SignatureCounter: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0
    private var running = 0
    private var error: Error?

    func begin() { condition.lock(); running += 1; condition.unlock() }
    func end(_ result: Error?) {
        condition.lock()
        running -= 1
        if let result { error = result } else { count += 1 }
        condition.broadcast()
        condition.unlock()
    }
    var signatures: Int { condition.lock(); defer { condition.unlock() }; return count }
    var cardError: Error? { condition.lock(); defer { condition.unlock() }; return error }

    /// Waits until no signature is running (a card waits at most ~15 s for a touch).
    func waitIdle() {
        condition.lock()
        while running > 0 { condition.wait(until: Date().addingTimeInterval(1)) }
        condition.unlock()
    }
}
