#if canImport(Glibc)
import Glibc
#endif
import KeyrackClient
import KeyrackDaemon
import SecretBytes

/// `exec` without --sandbox or --proxy: the values go into this process's environment, then the
/// program replaces keyrack (no shell: found on PATH as `env` finds it, so nothing is re-parsed,
/// and its exit code is the program's), or under --mask runs as MaskedExec's child.
public enum PlainExec {
    public typealias Value = (name: String, value: [UInt8], granted: Bool)

    /// Runs `command` with `values`; returns only by throwing (the program could not be run).
    /// What --mask conceals: the values from the daemon, not an env file's plain ones.
    public static func run(_ values: inout [Value], command: [String], mask: Bool) throws -> Never {
        var secrets = mask ? values.filter(\.granted).map(\.value) : []
        defer { for i in secrets.indices { zeroize(&secrets[i]) } }
        try export(&values)
        if mask { Terminal.exit(try MaskedExec.run(command, concealing: secrets)) }
        try replaceProcess(with: command)
    }

    /// Sets each value in this process's environment; the caller's copies (and the
    /// NUL-terminated one setenv copies from) are zeroed as they go.
    public static func export(_ values: inout [Value]) throws {
        for i in values.indices {
            var v = values[i].value + [0]
            let ok = v.withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { setenv(values[i].name, $0, 1) }
            }
            zeroize(&v)
            zeroize(&values[i].value)
            guard ok == 0 else { throw CommandFailure("cannot set \(values[i].name) in the environment: \(String(cString: strerror(errno)))") }
        }
    }

    /// execvp: on success never returns; on failure the shell's codes, 127 when the command is
    /// not found on PATH, 126 when it cannot be run.
    public static func replaceProcess(with command: [String]) throws -> Never {
        var argv = command.map { strdup($0) } + [nil]
        Hardening.restoreForExec()
        execvp(command[0], &argv)
        Hardening.protectProcess()
        let e = errno
        argv.forEach { free($0) }
        if e == ENOENT {
            throw CommandFailure("\(command[0]): command not found on PATH", exitCode: 127)
        }
        throw CommandFailure("cannot run \(command[0]): \(String(cString: strerror(e)))", exitCode: 126)
    }
}
