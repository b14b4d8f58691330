import Foundation
import ProcessSpawn
#if canImport(Glibc)
import Glibc
#endif

/// `exec --sandbox --unlock`: unlocks the keys the sandbox will be given, outside it and before
/// it is built, by running keyrack's own `unlock` on the caller's terminal (so PIN and touch
/// prompts, `--pin-file` rules and the card stay where they always are: the robot inside never
/// needs the card or an identity).
public enum SandboxUnlock {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// `--unlock` needs to know which env to unlock.
        case needsEnv
        /// The unlock ran and failed with this exit code (its own message is above).
        case unlockFailed(status: Int32)
        case cannotRun(String)

        public var problem: String {
            switch self {
            case .needsEnv: "an unlock before the sandbox needs the env of the keys to unlock"
            case .unlockFailed(let status): "the unlock before the sandbox failed (exit \(status), its reason is above); the sandbox was not started"
            case .cannotRun(let why): "cannot run the unlock: \(why)"
            }
        }
        public var fix: String {
            switch self {
            case .needsEnv: "name the env, or unlock first"
            case .unlockFailed, .cannotRun: "unlock the owner first, then run the sandbox"
            }
        }
        public var description: String { "\(problem): \(fix)" }
    }

    /// The unlock invocations: one per key for the sudo env (unlocked one at a time), one for the
    /// whole selection otherwise.
    public static func invocations(owner: String, env: String?, keys: [String]) throws -> [[String]] {
        guard let env else { throw Failure.needsEnv }
        let base = ["unlock", "--for", owner, "--env", env]
        if keys.isEmpty { return [base] }
        if env == "sudo" || keys.count == 1 { return keys.map { base + ["--key", $0] } }
        return [base]
    }

    /// Runs each invocation with keyrack's own binary, stdin/stdout/stderr inherited.
    public static func run(_ invocations: [[String]], keyrack: String) throws {
        for arguments in invocations {
            var unlock = Spawn(keyrack, arguments)
            // Unlock's report goes to stderr: stdout is the program's, in the sandbox.
            unlock.stdout = .descriptor(STDERR_FILENO)
            let status: Int32
            switch unlock.run() {
            case .success(let code): status = code
            case .failure(let error): throw Failure.cannotRun("\(error)")
            }
            guard status == 0 else { throw Failure.unlockFailed(status: status) }
        }
    }
}
