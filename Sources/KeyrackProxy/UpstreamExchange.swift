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

    fileprivate func head(_ head: HTTPResponseHead) {
        guard !finished else { return }
        started = true
        onHead(head)
    }

    fileprivate func body(_ part: ByteBuffer) {
        guard !finished else { return }
        onBody(part)
    }

    fileprivate func end() {
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

/// A connection to the real server (TLS verified against the caller's trust store, or plain
/// TCP for a plain-http request) that carries one request at a time, and may be kept for the
/// next one.
final class UpstreamConnection {
    let channel: Channel
    private let writer: RawRequestWriter
    private let relay: ResponseRelay

    private init(channel: Channel, writer: RawRequestWriter, relay: ResponseRelay) {
        self.channel = channel
        self.writer = writer
        self.relay = relay
    }

    static func open(on loop: EventLoop, host: String, port: Int, tls: NIOSSLContext?) -> EventLoopFuture<UpstreamConnection> {
        let writer = RawRequestWriter()
        let relay = ResponseRelay()
        let isIP = host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
        return ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: isIP ? nil : host))
                    }
                    try channel.pipeline.syncOperations.addHandler(writer)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(relay)
                }
            }
            .connect(host: host, port: port)
            .map { UpstreamConnection(channel: $0, writer: writer, relay: relay) }
    }

    /// Sends `bytes` (zeroed here once they are in a buffer: they may hold values); the answer
    /// goes to `exchange`. With TLS, nothing is written before the handshake verified the server.
    func send(_ bytes: inout [UInt8], method: HTTPMethod, exchange: UpstreamExchange) {
        writer.raw = ByteBuffer(bytes: bytes)
        zeroize(&bytes)
        relay.exchange = exchange
        // Through the response decoder, so it knows what answer to expect (HEAD has no body);
        // the writer puts the request's own bytes on the wire in its place.
        channel.writeAndFlush(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: "/")), promise: nil)
    }
}

/// Puts the request's own bytes on the wire in place of the typed head the response decoder saw.
final class RawRequestWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer
    var raw: ByteBuffer?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head = unwrapOutboundIn(data), let bytes = raw else { promise?.succeed(()); return }
        raw = nil
        context.write(wrapOutboundOut(bytes), promise: promise)
    }
}

/// Hands the server's answer to the exchange in flight; between exchanges, a close or an error
/// only ends the connection.
final class ResponseRelay: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    struct ClosedEarly: Error {}
    var exchange: UpstreamExchange?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): exchange?.head(head)
        case .body(let part): exchange?.body(part)
        case .end:
            let done = exchange
            exchange = nil
            done?.end()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let done = exchange
        exchange = nil
        done?.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let done = exchange
        exchange = nil
        done?.fail(ClosedEarly())
    }
}

/// Two halves that copy bytes between the program's connection and the server's, for a CONNECT
/// no keycard names. Both channels share one event loop.
final class GlueHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny
    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?

    static func pair() -> (GlueHandler, GlueHandler) {
        let a = GlueHandler(), b = GlueHandler()
        a.partner = b
        b.partner = a
        return (a, b)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil; partner = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.context?.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
