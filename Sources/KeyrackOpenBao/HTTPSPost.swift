import NIOCore
import NIOPosix
import NIOSSL

/// One POST to another HTTP API keyrack calls at unlock (GitHub's installation-token endpoint),
/// over the same one-request client as the OpenBao session, trusting the system's roots. It is
/// here so keyrack-cli links one HTTP stack: URLSession's FoundationNetworking brought libcurl
/// and some thirty libraries into every command's start-up (6.5 ms of `keyrack-cli --version`).
public enum HTTPSPost {
    /// Why no answer came, in words about the connection only.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// POSTs `body` to `url` (https://, or http:// for a loopback test server) with `headers`,
    /// waiting at most `timeoutSeconds`; returns the status and the body (at most 1 MiB).
    public static func send(_ url: String, method: String = "POST", headers: [(String, String)], body: [UInt8],
                            timeoutSeconds: Int = 30) throws -> (status: Int, body: [UInt8]) {
        let endpoint: Endpoint
        do { endpoint = try Endpoint(url) } catch let error as OpenBaoError {
            if case .plainHTTP = error { throw Failure(description: error.description) }
            throw Failure(description: "'\(url.prefix(80))' is not an http(s):// URL")
        }
        let afterScheme = url.dropFirst(endpoint.isTLS ? 8 : 7)
        let path = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(endpoint.authority)\r\n"
        head += "Connection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        var request = Array((head + "\r\n").utf8) + body

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var tls: NIOSSLContext?
        if endpoint.isTLS {
            var config = TLSConfiguration.makeClientConfiguration()
            config.minimumTLSVersion = .tlsv12
            do { tls = try NIOSSLContext(configuration: config) } catch { throw Failure(description: "cannot set up TLS: \(error)") }
        }
        do {
            let response = try HTTPSConnection(group: group, endpoint: endpoint, tls: tls, timeoutSeconds: timeoutSeconds)
                .send(&request, during: "the request")
            return (response.status, response.body)
        } catch let error as OpenBaoError {
            switch error {
            case .unreachable(_, let reason): throw Failure(description: reason)
            case .timeout(_, let seconds): throw Failure(description: "no answer within \(seconds) s")
            case .closed: throw Failure(description: "the server closed the connection before answering")
            case .untrustedCertificate:
                throw Failure(description: "its TLS certificate is not signed by a CA this machine trusts")
            case .tls(_, let reason): throw Failure(description: "TLS failed: \(reason)")
            default: throw Failure(description: "\(error)")
            }
        }
    }
}
