import KeyrackNames
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SecretBytes

/// One connection from the program: first as an HTTP proxy (CONNECT, or plain-http requests),
/// then, after a CONNECT the proxy opens, as the HTTPS server of that one host. Requests are
/// answered in order, one at a time: each goes whole to a fresh upstream connection.
final class ProxyConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum Mode {
        /// Fresh from accept: CONNECT or plain http.
        case front
        /// Inside the TLS of a CONNECT to this destination.
        case intercept(host: String, port: Int)
    }

    private struct Request {
        var head: HTTPRequestHead
        var body: [UInt8]
    }

    private let proxy: KeycardProxy
    private let mode: Mode
    private let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    private let encoder: HTTPResponseEncoder
    private var receiving: Request?
    private var queue: [Request] = []
    private var busy = false
    private var connectTarget: (host: String, port: Int)?
    private var upstream: Channel?
    /// The upstream connection of this CONNECT kept after an answer, for the next request.
    private var idle: UpstreamConnection?
    private var closing = false

    static func install(on channel: Channel, proxy: KeycardProxy, mode: Mode = .front,
                        position: ChannelPipeline.SynchronousOperations.Position = .last) throws {
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let encoder = HTTPResponseEncoder()
        let handler = ProxyConnection(proxy: proxy, mode: mode, decoder: decoder, encoder: encoder)
        try channel.pipeline.syncOperations.addHandlers([decoder, encoder, handler], position: position)
    }

    private init(proxy: KeycardProxy, mode: Mode, decoder: ByteToMessageHandler<HTTPRequestDecoder>, encoder: HTTPResponseEncoder) {
        self.proxy = proxy
        self.mode = mode
        self.decoder = decoder
        self.encoder = encoder
    }

    // MARK: reading the program's requests

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if case .front = mode, head.method == .CONNECT {
                guard let target = ProxyConnection.authority(head.uri) else {
                    return fail(context, .badRequest, "keyrack proxy: CONNECT needs HOST:PORT (a DNS name or an IP address), got '\(head.uri.prefix(80))'")
                }
                connectTarget = target
                return
            }
            receiving = Request(head: head, body: [])
            // The proxy reads a request whole before sending it on: say "go on" at once, rather
            // than leave the client waiting for a 100 Continue the server never sees asked for.
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            }
        case .body(var part):
            guard connectTarget == nil, var request = receiving else { return }
            guard request.body.count + part.readableBytes <= proxy.configuration.maxRequestBody else {
                receiving = nil
                return fail(context, .payloadTooLarge, "keyrack proxy: request body over \(proxy.configuration.maxRequestBody) bytes")
            }
            request.body += part.readBytes(length: part.readableBytes) ?? []
            receiving = request
        case .end:
            if let target = connectTarget {
                connectTarget = nil
                return connect(context, host: target.host, port: target.port)
            }
            guard let request = receiving else { return }
            receiving = nil
            queue.append(request)
            next(context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let parse = error as? HTTPParserError {
            if parse == .headerOverflow {
                return fail(context, .requestHeaderFieldsTooLarge, "keyrack proxy: request headers too large")
            }
            return fail(context, .badRequest, "keyrack proxy: malformed request (\(parse))")
        }
        // TLS with the program failed (it distrusts the run's CA, or hung up): nothing to answer.
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        upstream?.close(promise: nil)
        idle?.channel.close(promise: nil)
        idle = nil
        context.fireChannelInactive()
    }

    // MARK: CONNECT

    private func connect(_ context: ChannelHandlerContext, host: String, port: Int) {
        if proxy.configuration.keycards.names(host: host, port: UInt16(port)) {
            do {
                let tls = try proxy.configuration.authority.serverContext(host: host)
                try becomeTunnelStart(context)
                let sync = context.pipeline.syncOperations
                let terminator = NIOSSLServerHandler(context: tls)
                try sync.addHandler(terminator, position: .after(decoder))
                try ProxyConnection.install(on: context.channel, proxy: proxy, mode: .intercept(host: host, port: port), position: .after(terminator))
                finishSwap(context)
            } catch {
                proxy.configuration.log("keyrack proxy: cannot open \(host):\(port): \(error)")
                fail(context, .badGateway, "keyrack proxy: cannot open \(host):\(port): \(error)")
            }
            return
        }
        // No keycard names it: a blind tunnel, ciphertext both ways.
        let channel = context.channel
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port)
            .whenComplete { [self] result in
                switch result {
                case .success(let remote):
                    guard channel.isActive else { remote.close(promise: nil); return }
                    do {
                        try becomeTunnelStart(context)
                        let (local, far) = GlueHandler.pair()
                        try remote.pipeline.syncOperations.addHandler(far)
                        try context.pipeline.syncOperations.addHandler(local, position: .after(decoder))
                        upstream = remote
                        finishSwap(context)
                    } catch {
                        remote.close(promise: nil)
                        context.close(promise: nil)
                    }
                case .failure(let error):
                    fail(context, .badGateway, "keyrack proxy: cannot reach \(host):\(port): \(UpstreamExchange.describe(error))")
                }
            }
    }

    /// Answers the CONNECT with raw bytes (the encoder would add framing no CONNECT answer has)
    /// after taking the encoder out of the way.
    private func becomeTunnelStart(_ context: ChannelHandlerContext) throws {
        context.pipeline.syncOperations.removeHandler(encoder, promise: nil)
        context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n")), promise: nil)
    }

    /// Takes this handler and the HTTP decoder out; the decoder hands what it held after the
    /// CONNECT (the start of the TLS handshake) to what now follows it.
    private func finishSwap(_ context: ChannelHandlerContext) {
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        context.pipeline.syncOperations.removeHandler(decoder, promise: nil)
    }

    // MARK: forwarding

    private func next(_ context: ChannelHandlerContext) {
        guard !busy, !closing, !queue.isEmpty else { return }
        forward(queue.removeFirst(), context, reuse: true)
    }

    /// Sends one request on: on the idle upstream connection of this CONNECT when there is one
    /// (`reuse`), else on a fresh one. A reused connection the server closed before answering
    /// is retried once on a fresh one, for methods that may be repeated.
    private func forward(_ request: Request, _ context: ChannelHandlerContext, reuse: Bool) {
        let host: String, port: Int, tls: Bool, uri: String
        switch mode {
        case .intercept(let h, let p):
            (host, port, tls) = (h, p, true)
            uri = request.head.uri.hasPrefix("/") ? request.head.uri : ProxyConnection.absolute(request.head.uri)?.uri ?? "/"
        case .front:
            guard let target = ProxyConnection.absolute(request.head.uri), !target.https else {
                return fail(context, .badRequest, "keyrack proxy: send https:// through CONNECT; a plain request needs an absolute http:// URL")
            }
            (host, port, tls, uri) = (target.host, target.port, false, target.uri)
        }
        // Connections upstream are kept for the next request only inside a CONNECT (one host).
        let pooled = tls
        let keycards = proxy.configuration.keycards
        let cards = keycards.allowed(host: host, port: UInt16(port), tls: tls)
        let authority = host.contains(":") ? "[\(host)]" : host
        let hostHeader = port == (tls ? 443 : 80) ? authority : "\(authority):\(port)"
        var bytes: [UInt8]
        do {
            let rewritten = try RequestRewriter(keycards: keycards, cards: cards)
                .rewrite(request.head, uri: uri, hostHeader: hostHeader, body: request.body, keepAlive: pooled)
            bytes = rewritten.bytes
            // The owner's access log records where values go before they go (fail closed: a
            // request whose record cannot be written is not sent).
            if rewritten.count > 0, let record = proxy.configuration.record,
               let why = record(.init(host: host, port: port, count: rewritten.count, keys: keycards.labels(rewritten.cards))) {
                zeroize(&bytes)
                return fail(context, .serviceUnavailable, "keyrack proxy: \(why); nothing was sent")
            }
        } catch let refused as RequestRewriter.Refused {
            return fail(context, refused.status, refused.message)
        } catch {
            return fail(context, .badRequest, "keyrack proxy: \(error)")
        }
        busy = true
        var mask = keycards.echoMask()
        var keep = false
        var reused = false
        var connection: UpstreamConnection?
        let exchange = UpstreamExchange(
            onHead: { [self] head in
                var head = head
                let framed = head.headers.contains(name: "content-length") || head.headers.contains(name: "transfer-encoding")
                keep = pooled && head.version == .http1_1 && framed
                    && !head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
                for name in ["connection", "keep-alive", "proxy-connection"] { head.headers.remove(name: name) }
                var headers = HTTPHeaders()
                for (name, value) in head.headers { headers.add(name: name, value: mask.masked(value)) }
                head.headers = headers
                context.write(wrapOutboundOut(.head(head)), promise: nil)
            },
            onBody: { [self] part in
                var part = part
                let bytes = mask.feed(part.readBytes(length: part.readableBytes) ?? [])
                // Never an empty part: in a chunked answer it would read as the last chunk.
                guard !bytes.isEmpty else { return }
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
            },
            onEnd: { [self] in
                let rest = mask.finish()
                if !rest.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: rest)))), promise: nil) }
                mask.wipe()
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                if keep, !closing, let connection, connection.channel.isActive {
                    idle = connection
                } else {
                    connection?.channel.close(promise: nil)
                }
                busy = false
                next(context)
            },
            onFailure: { [self] error, started in
                mask.wipe()
                connection?.channel.close(promise: nil)
                busy = false
                if started { context.close(promise: nil); return }
                if reused, ProxyConnection.repeatable.contains(request.head.method) {
                    return forward(request, context, reuse: false)
                }
                proxy.configuration.log("keyrack proxy: \(host):\(port): \(UpstreamExchange.describe(error))")
                fail(context, .badGateway, "keyrack proxy: cannot reach \(host):\(port): \(UpstreamExchange.describe(error))")
            })
        if reuse, let waiting = idle, waiting.channel.isActive {
            idle = nil
            reused = true
            connection = waiting
            waiting.send(&bytes, method: request.head.method, exchange: exchange)
            return
        }
        idle?.channel.close(promise: nil)
        idle = nil
        UpstreamConnection.open(on: context.eventLoop, host: host, port: port, tls: tls ? proxy.upstreamTLS : nil).whenComplete { [self] result in
            switch result {
            case .success(let opened):
                connection = opened
                guard !closing else { opened.channel.close(promise: nil); zeroize(&bytes); return }
                opened.send(&bytes, method: request.head.method, exchange: exchange)
            case .failure(let error):
                zeroize(&bytes)
                exchange.fail(error)
            }
        }
    }

    /// Methods a client may expect to be sent twice (RFC 9110, idempotent).
    private static let repeatable: [HTTPMethod] = [.GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE]

    /// Answers with `status` and a one-line text body, then closes.
    private func fail(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ message: String) {
        guard !closing else { return }
        closing = true
        var headers = HTTPHeaders()
        let body = ByteBuffer(string: message + "\n")
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: parsing targets

    /// `HOST:PORT` of a CONNECT, under the rule of `--send-to` (so nothing odd reaches a resolver).
    static func authority(_ text: String) -> (host: String, port: Int)? {
        guard text.contains(":"), let d = Destination(text), !d.subdomains else { return nil }
        // A CONNECT must name its port: `Destination` would read a bare host as :443.
        guard text.hasSuffix(":\(d.port)") else { return nil }
        return (d.host, Int(d.port))
    }

    /// The parts of an absolute `http://` or `https://` URL; nil for anything else.
    static func absolute(_ uri: String) -> (https: Bool, host: String, port: Int, uri: String)? {
        let lower = uri.lowercased()
        let https = lower.hasPrefix("https://")
        guard https || lower.hasPrefix("http://") else { return nil }
        let rest = uri.dropFirst(https ? 8 : 7)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = String(rest[..<end])
        guard !authority.contains("@") else { return nil }
        var path = String(rest[end...])
        if path.hasPrefix("?") { path = "/" + path }
        if path.isEmpty { path = "/" }
        let defaultPort = https ? 443 : 80
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        guard let d = Destination(hasPort ? authority : "\(authority):\(defaultPort)"), !d.subdomains else { return nil }
        return (https, d.host, Int(d.port), path)
    }
}
