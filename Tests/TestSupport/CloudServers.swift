import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A random token-like string for test values (never a real secret).
public func freshToken(_ bytes: Int = 16) -> String {
    (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
}

/// The real local servers the cloud vault tests talk to, each on a free loopback port, started
/// by the test class and stopped when it ends, so `swift test` needs no wrapper script.
public enum CloudServers {
    /// The project's venv (scripts/install-deps), as scripts/test exports it; else PATH.
    public static func venvTool(_ name: String) -> String {
        let venv = ProcessInfo.processInfo.environment["KEYRACK_VENV"] ?? Run.packageRoot.appendingPathComponent(".venv").path
        let path = "\(venv)/bin/\(name)"
        return FileManager.default.isExecutableFile(atPath: path) ? path : name
    }

    /// The AWS CLI v2 the tests drive. Debian's is /usr/bin/aws; an older `aws` earlier on PATH
    /// (a pip v1) is passed over, as keyrack itself does.
    public static func awsCLI() throws -> String {
        for candidate in ["/usr/bin/aws"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map({ "\($0)/aws" })
        where FileManager.default.isExecutableFile(atPath: candidate) {
            if (try? Run.process(candidate, ["--version"]))?.out.hasPrefix("aws-cli/2.") == true { return candidate }
        }
        throw NSError(domain: "CloudServers", code: 3, userInfo: [NSLocalizedDescriptionKey: "no AWS CLI v2 found: scripts/install-deps installs Debian's awscli"])
    }

    /// A TCP port nobody listens on right now (bound, read, released).
    public static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw NSError(domain: "CloudServers", code: 1, userInfo: [NSLocalizedDescriptionKey: "no free port"]) }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// Polls until something accepts TCP connections on 127.0.0.1:`port`, up to `seconds`.
    public static func waitForListener(_ port: UInt16, seconds: Double = 30, alive: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, alive() {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let ok = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if ok { return true }
            usleep(50_000)
        }
        return false
    }
}

/// moto's server (the real AWS API emulator from PyPI, scripts/requirements.txt) on a free port.
public final class MotoServer {
    public let process: Spawned
    public let port: UInt16
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// `environment` is moto's own settings (say INITIAL_NO_AUTH_ACTION_COUNT, which turns on its
    /// IAM checks: SigV4 signatures verified against the keys it issued).
    public init(log: String, environment: [String: String] = [:]) throws {
        port = try CloudServers.freePort()
        process = try Spawned(CloudServers.venvToolPath("moto_server"), ["-H", "127.0.0.1", "-p", String(port)], environment: environment, stderrPath: log)
        guard CloudServers.waitForListener(port, alive: { process.isRunning }) else {
            process.terminate()
            throw NSError(domain: "MotoServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "moto_server did not listen on \(port): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"])
        }
    }

    public func stop() {
        process.terminate()
        process.waitForExit()
    }
}

extension CloudServers {
    /// `venvTool` as an absolute path (Spawned takes no PATH look-up).
    public static func venvToolPath(_ name: String) throws -> String {
        let tool = venvTool(name)
        if tool.hasPrefix("/") { return tool }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        throw NSError(domain: "CloudServers", code: 2, userInfo: [NSLocalizedDescriptionKey: "\(name) not found: run scripts/install-deps (it creates .venv)"])
    }
}
