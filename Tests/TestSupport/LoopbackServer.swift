import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 standing in for a server keyrack must not, or may only, talk to.
///
/// Silent (no `answer`): it never accepts while the command runs; `drain()` afterwards takes
/// every connection the kernel completed in its backlog and every byte a client sent before it
/// gave up, so "nothing reached it" is read from the socket, not inferred from timing.
///
/// Answering: a thread accepts, reads one HTTP request (head and Content-Length body), records
/// it, then writes what `answer` returns for it and closes: a hostile server with a canned reply.
public final class LoopbackServer {
    public struct Request {
        public var head: String
        public var bytes: [UInt8]
    }

    public let port: Int
    public var address: String { "http://127.0.0.1:\(port)" }
    private let fd: Int32
    private let lock = NSLock()
    private var recorded: [Request] = []
    private var thread: Thread?
    private var stopped = false

    /// `answer(requestHead)` gives the raw HTTP response to write (status line, headers, body).
    public init(answer: ((String) -> [UInt8])? = nil) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw NSError(domain: "LoopbackServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "listen on 127.0.0.1"]) }
        port = Int(UInt16(bigEndian: addr.sin_port))
        if let answer {
            let t = Thread { [fd] in
                while true {
                    let client = accept(fd, nil, nil)
                    if client < 0 { if errno == EINTR { continue } else { return } }
                    let bytes = Self.readRequest(client)
                    let head = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n\r\n").first ?? ""
                    self.lock.lock(); self.recorded.append(Request(head: head, bytes: bytes)); self.lock.unlock()
                    let reply = answer(head)
                    reply.withUnsafeBytes { _ = send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    close(client)
                }
            }
            thread = t
            t.start()
        }
    }

    deinit { stop() }

    /// Every request an answering server handled so far.
    public var requests: [Request] { lock.lock(); defer { lock.unlock() }; return recorded }

    /// Silent mode: the connections made to it and every byte they carried, taken now.
    public func drain() -> (connections: Int, bytes: [UInt8]) {
        var connections = 0, bytes: [UInt8] = []
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { break }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            connections += 1
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            close(client)
        }
        return (connections, bytes)
    }

    public func stop() {
        lock.lock(); let first = !stopped; stopped = true; lock.unlock()
        guard first else { return }
        shutdown(fd, Int32(SHUT_RDWR))  // wakes a thread blocked in accept
        close(fd)
    }

    /// One request: its head, then as many body bytes as Content-Length says (bounded, 5 s).
    private static func readRequest(_ client: Int32) -> [UInt8] {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 16384)
        while bytes.count < 1 << 20 {
            let text = String(decoding: bytes, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) + length <= bytes.count { break }
            }
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return bytes
    }

    /// A whole HTTP/1.1 response with a JSON body.
    public static func json(status: Int, _ body: String) -> [UInt8] {
        let data = Array(body.utf8)
        return Array("HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(data.count)\r\nConnection: close\r\n\r\n".utf8) + data
    }
}
