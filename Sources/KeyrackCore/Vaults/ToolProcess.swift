import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a vault's own CLI (`op`, `aws`) the one way keyrack needs: arguments that are never
/// secret, stdin from /dev/null (so a tool that would prompt fails instead of hanging a robot)
/// or, when a credential must reach the tool, `input` through a pipe (never argv, never a file),
/// the value on stdout, the reason on stderr. A tool that does not finish within `timeout`
/// seconds is killed: an unlock must not hang on a network that is not there.
enum ToolProcess {
    struct Result {
        var status: Int32
        /// stdout, which holds the secret: the caller zeroes it after use.
        var output: [UInt8]
        var errorText: String

        /// The first line of stderr (trimmed, at most 300 characters), else the exit status.
        var firstErrorLine: String {
            let line = errorText.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
            return String((line ?? "exit \(status)").prefix(300))
        }
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    input: [UInt8]? = nil, timeout: Double = 120) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = input.map { _ in Pipe() }
        process.standardInput = inPipe ?? FileHandle.nullDevice
        do { try process.run() } catch {
            throw KeyrackError.failure("cannot run \(executable): \(error.localizedDescription)")
        }
        if let inPipe, let input {
            // Written and closed at once: the tool reads it to its end (a JWT is far below the pipe's 64 KiB).
            var bytes = Data(input)
            try? inPipe.fileHandleForWriting.write(contentsOf: bytes)
            try? inPipe.fileHandleForWriting.close()
            bytes.resetBytes(in: 0..<bytes.count)
        }
        // Both pipes drained concurrently, so a chatty tool cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        var timedOut = false
        if group.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            group.wait()
        }
        process.waitUntilExit()
        defer { outBox.data.resetBytes(in: 0..<outBox.data.count) }
        if timedOut {
            let name = URL(fileURLWithPath: executable).lastPathComponent
            throw KeyrackError.failure("\(name) \(arguments.first ?? "") did not finish within \(Int(timeout))s and was stopped: check its network and sign-in")
        }
        return Result(status: process.terminationStatus, output: [UInt8](outBox.data),
                      errorText: String(decoding: errBox.data, as: UTF8.self))
    }

    /// The first executable called `name` in PATH's directories that `accept` takes.
    static func find(_ name: String, environment: [String: String], accept: (String) -> Bool = { _ in true }) -> String? {
        for dir in (environment["PATH"] ?? "").split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0, accept(candidate) { return candidate }
        }
        return nil
    }
}
