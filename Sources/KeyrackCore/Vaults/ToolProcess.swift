import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ProcessSpawn
import SecretBytes

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
        let spawn = Spawn(executable, arguments, environment: environment.map(Spawn.environment))
        switch spawn.capture(input: input, timeout: timeout) {
        case .failure(let error):
            throw KeyrackError.failure("cannot run \(executable): \(error)")
        case .success(var captured):
            if captured.timedOut {
                zeroize(&captured.output)
                let name = URL(fileURLWithPath: executable).lastPathComponent
                throw KeyrackError.failure("\(name) \(arguments.first ?? "") did not finish within \(Int(timeout))s and was stopped: check its network and sign-in")
            }
            return Result(status: captured.status, output: captured.output,
                          errorText: String(decoding: captured.errorOutput, as: UTF8.self))
        }
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
