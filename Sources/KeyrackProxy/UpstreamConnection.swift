import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SecretBytes

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
