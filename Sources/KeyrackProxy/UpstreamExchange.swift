import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SecretBytes
#if canImport(Glibc)
import Glibc
#endif

/// One request to the real server and its answer, handed back part by part. Everything runs on
/// the program connection's event loop, so the callbacks need no locks.
final class UpstreamExchange {
    private let onHead: (HTTPResponseHead) -> Void
    private let onBody: (ByteBuffer) -> Void
    private let onEnd: () -> Void
    private let onFailure: (Error, _ started: Bool) -> Void
    private var started = false
    private var finished = false

    init(onHead: @escaping (HTTPResponseHead) -> Void, onBody: @escaping (ByteBuffer) -> Void, onEnd: @escaping () -> Void,
         onFailure: @escaping (Error, Bool) -> Void) {
        self.onHead = onHead
        self.onBody = onBody
        self.onEnd = onEnd
        self.onFailure = onFailure
    }

    func head(_ head: HTTPResponseHead) {
        guard !finished else { return }
        started = true
        onHead(head)
    }

    func body(_ part: ByteBuffer) {
        guard !finished else { return }
        onBody(part)
    }

    func end() {
        guard !finished else { return }
        finished = true
        onEnd()
    }

    func fail(_ error: Error) {
        guard !finished else { return }
        finished = true
        onFailure(error, started)
    }

    /// A short reason, for the program's 502 and keyrack's stderr.
    static func describe(_ error: Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if let multi = error as? NIOConnectionError, let first = multi.connectionErrors.first?.error { return describe(first) }
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("UNABLE_TO_GET_ISSUER") || text.contains("unableToValidateCertificate")
            || text.contains("cannotMatchULabel") || text.contains("SELF_SIGNED") {
            return "the server's certificate is not trusted (checked against the system's CAs, or SSL_CERT_FILE as keyrack was started with); nothing was sent"
        }
        if text.contains("WRONG_VERSION_NUMBER") { return "the server does not speak TLS on this port" }
        if error is ResponseRelay.ClosedEarly { return "the server closed the connection before answering" }
        return String(text.prefix(160))
    }
}
