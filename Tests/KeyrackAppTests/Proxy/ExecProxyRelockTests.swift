import Foundation
@testable import KeyrackApp
import KeyrackDaemon
import KeyrackNames
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `exec --proxy` in-process: ExecProxy against a real in-process daemon and a plain-http
/// server on loopback (a loopback destination may get a value without TLS). A relock during the
/// run stops the substitution at once, said once; the run's record shows while it runs.
final class ExecProxyRelockTests: XCTestCase {
    func testRelockDuringARunStopsTheSubstitutionAtOnce() throws {
        let daemon = try InProcessDaemon(owner: "robot")
        defer { daemon.stop() }
        let upstream = try LoopbackRecorder()
        defer { upstream.stop() }
        let token = "ghs_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(32), slug = "acme.test.GITHUB_TOKEN"
        let destination = "127.0.0.1:\(upstream.port)"
        _ = try daemon.client.send(.unlock([GrantRequest(slug: Slug(parsing: slug)!, vault: "os.secure", ttlMilliseconds: 600_000, value: Array(token.utf8),
                                                         sendTo: [destination])], catalog: [Slug(parsing: slug)!]))
        let step = daemon.dir.file("step").path, go = daemon.dir.file("go").path, out = daemon.dir.file("out").path, err = daemon.dir.file("err").path
        XCTAssertEqual([mkfifo(step, 0o600), mkfifo(go, 0o600)], [0, 0])
        let script = #"""
        set -eu
        exec 2>"$ERR"
        curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" "$API/before" >/dev/null
        echo ran > "$STEP"; read -r _ < "$GO"
        curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" "$API/after" >/dev/null
        curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" "$API/again" >/dev/null
        printf %s "$GITHUB_TOKEN" > "$OUT"
        """#
        let said = LockedLines(), done = DispatchSemaphore(value: 0)
        let status = RunOutcome()
        let request = ExecProxy.Request(owner: "robot", env: "test", keys: ["GITHUB_TOKEN"], allowDangerous: false, command: ["/bin/bash", "-c", script])
        Thread.detachNewThread {
            status.result = Result { try ExecProxy.run(request, environment: ["PATH": "/usr/bin:/bin", "API": "http://\(destination)", "STEP": step, "GO": go, "OUT": out, "ERR": err],
                                                say: { said.append($0) }) }
            // A run that ended before its step still answers the read below.
            let fd = open(step, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { _ = write(fd, "ended\n", 6); close(fd) }
            done.signal()
        }
        // Opened read-write: never blocks on open; the read waits for the script (or its end).
        let stepFD = open(step, O_RDWR)
        defer { close(stepFD) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = read(stepFD, &buffer, buffer.count)
        guard String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self) == "ran\n" else {
            done.wait()
            return XCTFail("the run ended early: \(status.result) \(said.lines) \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
        }
        // `status` during the run: the proxy, the key it serves, where, and one substitution so far.
        let during = ProxyRecords.running(owner: "robot")
        XCTAssertEqual(during.map(\.substitutions), [1], "\(during)")
        XCTAssertEqual(during.first?.keys, [ProxyRecord.Key(name: "GITHUB_TOKEN", sendTo: [destination])])
        try daemon.relock()
        try Data("go\n".utf8).write(to: URL(fileURLWithPath: go))
        done.wait()
        XCTAssertEqual(try status.result.get(), 0, "\(said.lines)")
        let placeholder = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(placeholder.hasPrefix("ghs_") && placeholder.count == token.count && placeholder != token, placeholder)
        XCTAssertEqual(upstream.seen.map(\.path), ["/before", "/after", "/again"])
        XCTAssertEqual(upstream.seen.map(\.authorization), ["Bearer \(token)", "Bearer \(placeholder)", "Bearer \(placeholder)"], "\(said.lines)")
        XCTAssertEqual(said.lines.filter { $0.contains("GITHUB_TOKEN is no longer granted") }.count, 1, "said once: \(said.lines)")
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(during), as: UTF8.self).contains(placeholder), "the record holds no placeholder")
        XCTAssertEqual(ProxyRecords.running(owner: "robot"), [], "the record is gone with the run")
    }
}

/// The run's exit code, set by its thread before it signals.
final class RunOutcome: @unchecked Sendable { var result: Result<Int32, Error> = .success(-1) }

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

/// A plain-http server on 127.0.0.1 that answers 200 to every request and keeps its path and
/// Authorization header, one request per connection.
final class LoopbackRecorder: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let lock = NSLock()
    private var requests: [(path: String, authorization: String)] = []

    var seen: [(path: String, authorization: String)] { lock.lock(); defer { lock.unlock() }; return requests }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in serve() }
    }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: bytes, as: UTF8.self).contains("\r\n\r\n") {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
            let target = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let path = target.hasPrefix("http://") ? "/" + target.dropFirst("http://".count).split(separator: "/", maxSplits: 1).dropFirst().joined() : target
            let authorization = lines.first { $0.lowercased().hasPrefix("authorization:") }.map { $0.dropFirst("authorization:".count).trimmingCharacters(in: .whitespaces) } ?? ""
            lock.lock(); requests.append((path, authorization)); lock.unlock()
            let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n".utf8)
            _ = answer.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            close(client)
        }
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}
