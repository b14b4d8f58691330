import Foundation
import KeyrackNames
import TestSupport
import XCTest
@testable import KeyrackProxy
#if canImport(Glibc)
import Glibc
#endif

/// The proxy in-process, fed bad input over real loopback sockets (issue 27): each gets a clear
/// HTTP error (or a closed connection), nothing is substituted, and the proxy keeps serving.
final class ProxyBadInputTests: XCTestCase {
    private var proxy: KeycardProxy!

    override func setUpWithError() throws {
        let cards = Keycards([Keycard(name: "GITHUB_TOKEN", placeholder: Array("ghs_placeholder000".utf8), value: Array("ghs_value00000000".utf8),
                                      destinations: [Destination("127.0.0.1:9")!])])
        proxy = try KeycardProxy.start(.init(keycards: cards, authority: try RunAuthority()))
    }

    override func tearDown() { proxy?.stop() }

    /// Sends `request` and reads until the proxy closes (or 10 s pass: a receive timeout, not a sleep).
    private func exchange(_ request: [UInt8]) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(proxy.port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        XCTAssertTrue(connected)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func exchange(_ text: String) throws -> String { try exchange(Array(text.utf8)) }

    func testMalformedConnectGetsBadRequest() throws {
        for request in ["CONNECT not a host HTTP/1.1\r\n\r\n", "CONNECT evil.com HTTP/1.1\r\nHost: evil.com\r\n\r\n",
                        "CONNECT user@127.0.0.1:9 HTTP/1.1\r\n\r\n", "CONNECT *.example.com:443 HTTP/1.1\r\n\r\n", "NOT HTTP AT ALL\r\n\r\n"] {
            let answer = try exchange(request)
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 400"), "\(request.debugDescription) → \(answer)")
        }
        XCTAssertTrue(try exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").contains("absolute http:// URL"), "a proxy request needs an absolute URL")
    }

    func testHugeHeaderGetsTooLargeAndNothingIsSent() throws {
        let answer = try exchange("GET http://127.0.0.1:9/ HTTP/1.1\r\nAuthorization: Bearer ghs_placeholder000\r\nX-Big: " + String(repeating: "a", count: 200_000) + "\r\n\r\n")
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 431"), answer.prefix(200).description)
        XCTAssertEqual(proxy.configuration.keycards.substitutionCount, 0)
    }

    func testUnreachableUpstreamGetsBadGatewayAndTheProxyStaysUp() throws {
        let answer = try exchange("GET http://127.0.0.1:9/x HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAuthorization: Bearer ghs_placeholder000\r\n\r\n")
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 502"), answer)
        XCTAssertTrue(answer.contains("cannot reach 127.0.0.1:9"), answer)
        XCTAssertFalse(answer.contains("ghs_value"), answer)
        // Not TLS after a CONNECT the proxy opens: the connection is dropped, nothing else.
        let garbage = try exchange("CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\nthis is not a TLS client hello\r\n\r\n")
        XCTAssertTrue(garbage.hasPrefix("HTTP/1.1 200 Connection Established\r\n\r\n"), garbage)
        XCTAssertTrue(try exchange("CONNECT bad HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 400"), "still serving")
    }

    /// The access log's hook (issue 31): told host, port, count and key before a request with
    /// values leaves; when it answers that the record could not be written, the program gets a
    /// 503 naming why and nothing is sent (a 502 "cannot reach" would mean it was tried).
    func testARequestWhoseRecordIsRefusedIsNotSent() throws {
        proxy.stop()
        final class Told: @unchecked Sendable {
            let lock = NSLock()
            var list: [KeycardProxy.Substitution] = []
            func add(_ s: KeycardProxy.Substitution) { lock.withLock { list.append(s) } }
            var all: [KeycardProxy.Substitution] { lock.withLock { list } }
        }
        let told = Told()
        let cards = Keycards([Keycard(name: "GITHUB_TOKEN", placeholder: Array("ghs_placeholder000".utf8), value: Array("ghs_value00000000".utf8),
                                      destinations: [Destination("127.0.0.1:9")!])])
        var configuration = KeycardProxy.Configuration(keycards: cards, authority: try RunAuthority())
        configuration.record = { s in told.add(s); return "the access log of 'bot' did not take the record (disk full)" }
        proxy = try KeycardProxy.start(configuration)
        let answer = try exchange("GET http://127.0.0.1:9/x?t=ghs_placeholder000 HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAuthorization: Bearer ghs_placeholder000\r\n\r\n")
        XCTAssertTrue(answer.hasPrefix("HTTP/1.1 503"), answer)
        XCTAssertTrue(answer.contains("did not take the record (disk full); nothing was sent"), answer)
        XCTAssertFalse(answer.contains("ghs_value"), answer)
        XCTAssertEqual(told.all, [KeycardProxy.Substitution(host: "127.0.0.1", port: 9, count: 2, keys: ["GITHUB_TOKEN"])])
        // A request with no value in it is not recorded: it only reaches the (absent) server.
        XCTAssertTrue(try exchange("GET http://127.0.0.1:9/plain HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n").hasPrefix("HTTP/1.1 502"))
        XCTAssertEqual(told.all.count, 1)
    }

    /// openssl's own client through the proxy: CONNECT to the card's host, then a client hello.
    private func handshake(serverName: String?) throws -> RunResult {
        var args = ["s_client", "-proxy", "127.0.0.1:\(proxy.port)", "-connect", "127.0.0.1:9", "-brief"]
        if let serverName { args += ["-servername", serverName] }
        return try Run.process("/usr/bin/openssl", args)
    }

    func testClientHelloForAnotherHostIsRefusedAndTheProxyStaysUp() throws {
        let other = try handshake(serverName: "api.github.com")
        XCTAssertNotEqual(other.status, 0, "\(other)")
        XCTAssertTrue(other.err.contains("alert") || other.err.contains("handshake failure"), other.err)
        // The same CONNECT with no other name in its hello gets the run's leaf for that host.
        let own = try handshake(serverName: nil)
        XCTAssertTrue(own.err.contains("CONNECTION ESTABLISHED") || own.out.contains("CONNECTION ESTABLISHED"), "\(own)")
        XCTAssertTrue((own.out + own.err).contains("127.0.0.1"), "\(own)")
        XCTAssertTrue(try exchange("CONNECT bad HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 400"), "still serving")
        XCTAssertEqual(proxy.configuration.keycards.substitutionCount, 0)
    }

    func testStopClosesTheListener() throws {
        let port = proxy.port
        proxy.stop()
        proxy = nil
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        XCTAssertFalse(connected)
    }
}
