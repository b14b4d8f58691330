import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import KeyrackNames
import SecretBytes

/// One HTTP/1.1 request over one fresh TLS (or, for a dev server, plain TCP) connection, blocking
/// the caller until the whole answer is in or the deadline passes. One request per connection
/// keeps the client small: only the login connection carries the card's client certificate, so
/// the card signs once per unlock whatever the number of secrets read.
struct HTTPSConnection {
    struct Response {
        var status: Int
        var body: [UInt8]
    }

    let group: EventLoopGroup
    let endpoint: Endpoint
    let tls: NIOSSLContext?
    let timeoutSeconds: Int

    /// Sends `head` (request line and headers, already encoded, CRLFs included) and `body`.
    /// The request bytes are zeroed once written: they may carry the token.
    func send(_ request: inout [UInt8], during operation: String) throws -> Response {
        defer { zeroize(&request) }
        let done = group.next().makePromise(of: Response.self)
        let collector = ResponseCollector(promise: done)
        let writer = RawWriter(raw: ByteBuffer(bytes: request))
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(Int64(timeoutSeconds)))
            .channelInitializer { [tls, endpoint] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: endpoint.isIPAddress ? nil : endpoint.host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(writer)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
        let channel: Channel
        do {
            channel = try bootstrap.connect(host: endpoint.host, port: endpoint.port).wait()
        } catch {
            let reported: OpenBaoError = (error as? ChannelError) == .connectTimeout(.seconds(Int64(timeoutSeconds)))
                ? .timeout(address: endpoint.display, seconds: timeoutSeconds)
                : .unreachable(address: endpoint.display, reason: Self.describe(error))
            done.fail(reported)  // never completed otherwise: NIO traps on a leaked promise
            throw reported
        }
        defer { _ = channel.close(mode: .all) }
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(Int64(timeoutSeconds))) {
            done.fail(OpenBaoError.timeout(address: endpoint.display, seconds: timeoutSeconds))
        }
        defer { deadline.cancel() }
        // Through the decoder, so it expects the answer; RawWriter swaps in the real bytes.
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        channel.writeAndFlush(HTTPClientRequestPart.head(head), promise: nil)
        do {
            return try done.futureResult.wait()
        } catch let error as OpenBaoError {
            throw error
        } catch let error as NIOSSLError {
            // The peer vanished mid-handshake (killed, restarted): not a trust problem.
            if case .uncleanShutdown = error { throw OpenBaoError.closed(address: endpoint.display, during: operation) }
            if String(describing: error).contains("EOF during handshake") { throw OpenBaoError.closed(address: endpoint.display, during: operation) }
            throw Self.tlsFailure(endpoint, error)
        } catch let error as BoringSSLError {
            throw Self.tlsFailure(endpoint, error)
        } catch let error as NIOSSLExtraError where error == .failedToValidateHostname {
            // A trusted certificate issued for other names: NIO's own text names no host.
            throw OpenBaoError.hostMismatch(address: endpoint.display, host: endpoint.host)
        } catch let error as NIOSSLExtraError {
            throw Self.tlsFailure(endpoint, error)
        } catch ResponseCollector.Closed.early {
            throw OpenBaoError.closed(address: endpoint.display, during: operation)
        } catch {
            throw error
        }
    }

    /// A failed handshake: a server whose CA is not trusted is its own case (its remedy is the CA).
    static func tlsFailure(_ endpoint: Endpoint, _ error: Error) -> OpenBaoError {
        let reason = describe(error)
        return reason == untrusted ? .untrustedCertificate(address: endpoint.display) : .tls(address: endpoint.display, reason: reason)
    }

    static let untrusted = "the server's certificate is not signed by a trusted CA: pass the cluster's CA (BAO_CACERT or VAULT_CACERT)"

    /// A short reason from an NIO / BoringSSL error, without the file-and-line noise.
    static func describe(_ error: Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if let multi = error as? NIOConnectionError, let first = multi.connectionErrors.first?.error {
            return describe(first)
        }
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("UNABLE_TO_GET_ISSUER") { return untrusted }
        if text.contains("unableToValidateCertificate") || text.contains("cannotMatchULabel") {
            return "the server's certificate does not name this host: use the name (or IP) its certificate carries in the address"
        }
        if text.contains("WRONG_VERSION_NUMBER") { return "the server does not speak TLS here: is it an http:// listener?" }
        return String(text.prefix(160)) + "; check the server's TLS listener"
    }
}

/// host:port and scheme, parsed from https://HOST[:PORT] by KeyrackNames' ServerAddress (the
/// parse `set` checked), and refused here, before any connection, when it is plain http to a host
/// off this machine: whatever a hand-edited manifest or BAO_ADDR says, no login, token or secret
/// crosses the network in clear.
struct Endpoint {
    let address: ServerAddress
    var host: String { address.host }
    var port: Int { address.port }
    var isTLS: Bool { address.isTLS }
    var display: String { address.description }
    /// HOST:PORT as a URL and a Host header spell it (an IPv6 host in brackets).
    var authority: String { address.authority }
    var isIPAddress: Bool { address.isIPAddress }

    init(_ text: String) throws {
        do { address = try ServerAddress(parsing: text) } catch let invalid as ServerAddress.Invalid {
            throw OpenBaoError.configuration(invalid.description)
        }
        if address.plainHTTPRefusal != nil { throw OpenBaoError.plainHTTP(address: address.description) }
    }
}

/// Puts the request's own bytes on the wire in place of the typed request head that passes the
/// response decoder (which must see a request go out to accept an answer). So the token goes
/// from locked memory into one transient buffer, never into a String header.
/// `@unchecked`: NIO calls a handler only on its channel's event loop; it is made in the
/// channel initializer, a `@Sendable` closure.
final class RawWriter: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer
    private var raw: ByteBuffer

    init(raw: ByteBuffer) { self.raw = raw }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head = unwrapOutboundIn(data) else { promise?.succeed(()); return }
        let bytes = raw
        raw = ByteBuffer()
        context.write(wrapOutboundOut(bytes), promise: promise)
    }
}

/// Gathers one response: status from the head, the body parts, done at `.end`.
/// `@unchecked`: as `RawWriter`, confined to its channel's event loop.
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    enum Closed: Error { case early }

    private let promise: EventLoopPromise<HTTPSConnection.Response>
    private var status = 0
    private var body: [UInt8] = []
    private var finished = false

    init(promise: EventLoopPromise<HTTPSConnection.Response>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(let part):
            guard body.count + part.readableBytes <= 1 << 20 else { return finish(.failure(OpenBaoError.server(address: "", status: status, errors: "answer larger than 1 MiB"))) }
            body += part.readableBytesView
        case .end: finish(.success(HTTPSConnection.Response(status: status, body: body)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(Closed.early))
    }

    private func finish(_ result: Result<HTTPSConnection.Response, Error>) {
        guard !finished else { return }
        finished = true
        promise.completeWith(result)
        body = []
    }
}
