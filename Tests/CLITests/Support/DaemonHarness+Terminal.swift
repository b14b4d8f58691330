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
}
