import Foundation
import TestSupport

extension DaemonHarness {
    /// Runs keyrack on a fresh pseudo-terminal (its controlling terminal), in the harness's
    /// machine with its runtime directory, answering each prompt as it appears.
    func terminal(_ args: [String], answers: [(prompt: String, reply: String)], timeout: TimeInterval = 60) throws -> TerminalRun.Result {
        var env: [String: String?] = machine.environment
        env["XDG_RUNTIME_DIR"] = runtime.path
        let unset = env.filter { $0.value == nil }.flatMap { ["-u", $0.key] }
        let assignments = env.compactMap { k, v in v.map { "\(k)=\($0)" } }
        return try TerminalRun.run("/usr/bin/env", ["-C", machine.dir.path] + unset + assignments + [Run.keyrackBinary] + args,
                                   answers: answers, timeout: timeout)
    }

    /// The environment for age clients (age, sops, pyrage): the built binaries (age-plugin-keyrack)
    /// first on PATH, as an absolute directory (age refuses plugins found through a relative PATH entry).
    var ageClientEnvironment: [String: String?] {
        var e = machine.environment
        e["XDG_RUNTIME_DIR"] = runtime.path
        let venv = ProcessInfo.processInfo.environment["KEYRACK_VENV"].map { $0 + "/bin:" } ?? ""
        e["PATH"] = Run.buildDirectory.path + ":" + venv + "/usr/local/bin:/usr/bin:/bin"
        return e
    }

    /// An age client's `command` on a fresh pseudo-terminal in that environment, answering each prompt.
    func ageClientTerminal(_ command: [String], answers: [(prompt: String, reply: String)]) throws -> TerminalRun.Result {
        let e = ageClientEnvironment
        let unset = e.filter { $0.value == nil }.flatMap { ["-u", $0.key] }
        let assignments = e.compactMap { k, v in v.map { "\(k)=\($0)" } }
        return try TerminalRun.run("/usr/bin/env", ["-C", machine.dir.path] + unset + assignments + command, answers: answers, timeout: 60)
    }
}

/// The header text of an age file, armored (the manifests) or not.
func dearmored(_ url: URL) throws -> String {
    let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
    guard text.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----") else { return text }
    let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    guard let data = Data(base64Encoded: body) else { throw NSError(domain: "dearmored", code: 1, userInfo: [NSLocalizedDescriptionKey: "not base64 armor: \(url.path)"]) }
    return String(decoding: data, as: UTF8.self)
}
