import Foundation

/// What a finished child process left behind.
public struct RunResult: CustomStringConvertible {
    public let status: Int32
    public let stdout: [UInt8]
    public let stderr: [UInt8]
    public var out: String { String(decoding: stdout, as: UTF8.self) }
    public var err: String { String(decoding: stderr, as: UTF8.self) }
    public var description: String { "exit \(status)\n--- stdout\n\(out)\n--- stderr\n\(err)" }
}

/// Runs built binaries and system tools (`age`, `ssh-keygen`, `yubico-piv-tool`) the way a user
/// would: real processes, real pipes, real exit codes.
public enum Run {
    /// Root of the package (the folder holding Package.swift), found from this source file.
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The directory holding the built products: `KEYRACK_BUILD_DIR`, else `.build/debug`.
    public static var buildDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["KEYRACK_BUILD_DIR"] { return URL(fileURLWithPath: dir) }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    /// Path of the `keyrack` binary under test (`KEYRACK_BIN` overrides).
    public static var keyrackBinary: String {
        ProcessInfo.processInfo.environment["KEYRACK_BIN"] ?? buildDirectory.appendingPathComponent("keyrack").path
    }

    /// Path of the full CLI, `keyrack-cli`, which the `keyrack` front end execs for every command
    /// but `get`: it sits next to `keyrackBinary`.
    public static var keyrackCLIBinary: String {
        URL(fileURLWithPath: keyrackBinary).deletingLastPathComponent().appendingPathComponent("keyrack-cli").path
    }

    /// Path of `keyrack-age`, which the front end execs for `age encrypt|decrypt`: next to `keyrackBinary`.
    public static var keyrackAgeBinary: String {
        URL(fileURLWithPath: keyrackBinary).deletingLastPathComponent().appendingPathComponent("keyrack-age").path
    }

    /// Path of the simulated card executable.
    public static var simulatorBinary: String {
        buildDirectory.appendingPathComponent("keyrack-piv-sim").path
    }

    /// Runs `executable` (a path, or a name looked up on PATH) with `arguments`, feeding `stdin`,
    /// and waits for it. `environment` entries are added to (or, with nil values, removed from)
    /// this process's environment.
    @discardableResult
    public static func process(_ executable: String, _ arguments: [String], stdin: [UInt8] = [],
                               environment: [String: String?] = [:], currentDirectory: URL? = nil) throws -> RunResult {
        try DeclaredPrograms.require(executable)
        let p = Process()
        if executable.contains("/") {
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = arguments
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [executable] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let currentDirectory { p.currentDirectoryURL = currentDirectory }

        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()

        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        var out = Data(), err = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { out = outPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { err = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if !stdin.isEmpty { feed(stdin, to: inPipe.fileHandleForWriting.fileDescriptor) }
        try? inPipe.fileHandleForWriting.close()
        p.waitUntilExit()
        group.wait()
        return RunResult(status: p.terminationStatus, stdout: [UInt8](out), stderr: [UInt8](err))
    }

    /// Writes `bytes` to a child's stdin, stopping where the child closed it (it exited, or
    /// failed before reading everything): that is EPIPE, not the SIGPIPE that would end this test
    /// process. SIGPIPE is blocked on this thread for the write and a pending one taken back,
    /// rather than ignored process-wide, which every child started later would inherit.
    private static func feed(_ bytes: [UInt8], to fd: Int32) {
        var pipe = sigset_t(), saved = sigset_t()
        sigemptyset(&pipe)
        sigaddset(&pipe, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipe, &saved)
        defer {
            var none = timespec(tv_sec: 0, tv_nsec: 0)
            while sigtimedwait(&pipe, nil, &none) == SIGPIPE {}
            pthread_sigmask(SIG_SETMASK, &saved, nil)
        }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }

    /// Runs the keyrack binary under test.
    @discardableResult
    public static func keyrack(_ arguments: [String], stdin: [UInt8] = [], environment: [String: String?] = [:],
                               currentDirectory: URL? = nil) throws -> RunResult {
        try process(keyrackBinary, arguments, stdin: stdin, environment: environment, currentDirectory: currentDirectory)
    }
}

/// A fresh private directory for one test, removed when the value is released via `remove()`.
public struct TempDirectory {
    public let url: URL
    public var path: String { url.path }

    public init(_ label: String = "keyrack-test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory())
        url = base.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    public func write(_ name: String, _ bytes: [UInt8], mode: Int = 0o600) throws -> URL {
        let target = file(name)
        try Data(bytes).write(to: target)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target.path)
        return target
    }

    public func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: file(name))) }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Random bytes for test payloads (test keys and secrets are made at test time, never committed).
public func randomBytes(_ count: Int) -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
}
