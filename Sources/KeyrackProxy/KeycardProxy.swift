import Foundation
import Locking
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The proxy of one `exec --proxy` run, on 127.0.0.1 at a port the kernel picks. It lives as long
/// as the run: `stop` closes every connection, wipes the values and ends its threads.
///
/// What it does with each connection:
/// - `CONNECT host:port` to a destination some keycard names: answers 200, then speaks TLS to the
///   program with a leaf for that host signed by the run's CA, reads each request, puts in the
///   values of the cards allowed there, and sends it to the real server over TLS verified
///   against the caller's trust store (never the run's CA). The answer goes back as it came.
/// - `CONNECT` anywhere else: a plain tunnel; keyrack sees only ciphertext, and the placeholder
///   travels inside it untouched.
/// - a plain-http request (`GET http://host:port/…`): forwarded; values go in only when the
///   destination is a loopback one a card allows (plain http never carries a value off the machine).
public final class KeycardProxy: Sendable {
    public struct Configuration: Sendable {
        public var keycards: Keycards
        public var authority: RunAuthority
        /// PEM files of the CAs the real servers are checked against; empty: the system's.
        public var upstreamTrust: [String]
        /// Requests whose body is larger are refused (413): the proxy holds a request whole.
        public var maxRequestBody: Int
        /// Lines for the user (an upstream it could not reach, a grant that ended), never values.
        public var log: @Sendable (String) -> Void
        /// Told before each request that carries values is sent (names and a count, never a
        /// value); an answer other than nil says why it could not be recorded, and the request
        /// is then not sent. `exec --proxy` records it in the owner's access log.
        public var record: (@Sendable (Substitution) -> String?)?

        public init(keycards: Keycards, authority: RunAuthority, upstreamTrust: [String] = [], maxRequestBody: Int = 16 << 20,
                    log: @escaping @Sendable (String) -> Void = { _ in }) {
            self.keycards = keycards
            self.authority = authority
            self.upstreamTrust = upstreamTrust
            self.maxRequestBody = maxRequestBody
            self.log = log
        }
    }

    /// One request about to carry values: where to, how many, and the cards' labels (slugs).
    public struct Substitution: Equatable, Sendable {
        public let host: String
        public let port: Int
        public let count: Int
        public let keys: [String]
    }

    public let port: Int
    let configuration: Configuration
    let upstreamTLS: NIOSSLContext
    private let group: MultiThreadedEventLoopGroup
    private let server: Channel
    private let children = ChildChannels()

    public static func start(_ configuration: Configuration) throws -> KeycardProxy {
        try KeycardProxy(configuration)
    }

    private init(_ configuration: Configuration) throws {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if !configuration.upstreamTrust.isEmpty {
            tls.trustRoots = .certificates(try configuration.upstreamTrust.flatMap { try NIOSSLCertificate.fromPEMFile($0) })
        }
        upstreamTLS = try NIOSSLContext(configuration: tls)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let children = self.children
        var proxy: KeycardProxy?
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // TCP_NODELAY: NIO's bootstraps set it by themselves (and `.socketOption(.tcp_nodelay)`
            // would be SOL_SOCKET's option 1, SO_DEBUG, refused to unprivileged users).
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    children.add(channel)
                    guard let proxy else { throw ChannelError.ioOnClosedChannel }
                    try ProxyConnection.install(on: channel, proxy: proxy)
                }
            }
        do {
            server = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        port = server.localAddress?.port ?? 0
        // Read by the initializer of each accepted connection; none arrives before the port is known.
        proxy = self
    }

    /// Closes the listener and every connection, wipes the values, ends the threads.
    public func stop() {
        try? server.close().wait()
        children.closeAll()
        configuration.keycards.wipe()
        try? group.syncShutdownGracefully()
    }

    var eventLoopGroup: EventLoopGroup { group }
}

/// Every connection the proxy accepted, so `stop` can close them.
final class ChildChannels: Sendable {
    private let channels = Locked<[ObjectIdentifier: Channel]>([:])

    func add(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in self?.channels.withLock { _ = $0.removeValue(forKey: id) } }
    }

    func closeAll() {
        let all = channels.withLock { Array($0.values) }
        for c in all { try? c.close().wait() }
    }
}

