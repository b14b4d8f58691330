import KeyrackClient
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes
import ProcessSpawn
import KeyrackClient

/// `KEYRACK_ASKPASS`, as `SSH_ASKPASS`: a program that asks the user for a secret (a desktop
/// dialog, a password manager) when there is no terminal, or always with
/// `KEYRACK_ASKPASS_REQUIRE=force` (`never` turns it off). It gets the prompt as its one argument
/// and prints the secret on stdout; a trailing newline is dropped, and a non-zero exit is a
/// cancelled prompt. The secret never passes through argv or the environment.
public enum Askpass {
    public static var program: String? {
        guard let value = getenv("KEYRACK_ASKPASS").map({ String(cString: $0) }), !value.isEmpty, require != "never" else { return nil }
        return value
    }

    public static var forced: Bool { require == "force" }

    private static var require: String? { getenv("KEYRACK_ASKPASS_REQUIRE").map { String(cString: $0) } }

    public struct Cancelled: CLIReportable {
        public let program: String
        public let status: Int32
        public let what: String
        public var cliMessage: String { "error: KEYRACK_ASKPASS program '\(program)' \(status < 0 ? "could not be run" : "exited \(status)") instead of giving the \(what): check KEYRACK_ASKPASS, or unset it to be asked on the terminal" }
        public var exitCode: Int32 { ExitStatus.failure }
    }

    public static func ask(_ program: String, prompt: String, what: String) throws -> [UInt8] {
        var out: [Int32] = [-1, -1]
        guard pipe(&out) == 0 else { throw Cancelled(program: program, status: -1, what: what) }
        _ = fcntl(out[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(out[1], F_SETFD, FD_CLOEXEC)
        let trimmed = prompt.hasSuffix(": ") ? String(prompt.dropLast()) : prompt
        // Started as every program keyrack waits for: on PATH, every signal at its default (^C
        // at a dialog ends it), keyrack's environment.
        var spawn = Spawn(program, [trimmed])
        spawn.searchPath = true
        spawn.defaultSignals = true
        spawn.stdin = .null
        spawn.stdout = .descriptor(out[1])
        let started = spawn.start()
        close(out[1])
        defer { close(out[0]) }
        guard case .success(let child) = started else { throw Cancelled(program: program, status: -1, what: what) }

        var secret: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        defer { zeroize(&buffer) }
        while true {
            let n = read(out[0], &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            secret += buffer[0..<n]
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard code == 0 else {
            zeroize(&secret)
            throw Cancelled(program: program, status: code, what: what)
        }
        if secret.last == 0x0a { secret.removeLast() }
        if secret.last == 0x0d { secret.removeLast() }
        return secret
    }
}
