import Foundation
import ProcessSpawn
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif

/// What the machine offers a sandbox, asked of the machine itself (for `keyrack doctor` and
/// before `exec --sandbox` runs anything): where bubblewrap is, its version, whether an
/// unprivileged user namespace can actually be made, and the pidfd calls the daemon's peer check
/// uses.
public enum SandboxProbe {
    /// `KEYRACK_BWRAP` when set (it must be an executable: no fallback, so a test or a packager
    /// can pin it), else `bwrap` on PATH.
    public static func bubblewrap(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let pinned = environment["KEYRACK_BWRAP"], !pinned.isEmpty {
            guard pinned.hasPrefix("/"), access(pinned, X_OK) == 0 else {
                throw SandboxError.bubblewrapMissing("KEYRACK_BWRAP=\(pinned) is not an executable file")
            }
            return pinned
        }
        for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") where dir.hasPrefix("/") {
            let candidate = "\(dir)/bwrap"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw SandboxError.bubblewrapMissing("bubblewrap (bwrap) is not on PATH")
    }

    /// `bwrap --version`'s version ("0.8.0"), nil when it does not answer.
    public static func version(of bwrap: String) -> String? {
        guard let r = run(bwrap, ["--version"]), r.status == 0 else { return nil }
        let text = r.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.split(separator: " ").last.map(String.init)
    }

    /// nil when bwrap can make a user, pid and mount namespace here; else bwrap's reason.
    public static func userNamespaceProblem(bwrap: String) -> String? {
        guard let r = run(bwrap, ["--unshare-user", "--unshare-pid", "--ro-bind", "/", "/", "--proc", "/proc", "--", "/bin/true"]) else {
            return "bubblewrap did not run"
        }
        if r.status == 0 { return nil }
        let line = r.output.split(separator: "\n").last.map(String.init) ?? "exit \(r.status)"
        return line.isEmpty ? "exit \(r.status)" : line
    }

    /// Whether pidfd_open works (Linux 5.3+), which the daemon's sandbox check relies on.
    public static var pidfdWorks: Bool {
        let fd = PeerProcess.pidfdOpen(getpid())
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// Whether SO_PEERPIDFD works (Linux 6.5+): the peer's pidfd taken at connect time.
    public static var peerPidfdWorks: Bool {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { return false }
        defer { close(fds[0]); close(fds[1]) }
        var pidfd: Int32 = -1
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fds[0], SOL_SOCKET, PeerProcess.soPeerPidfd, &pidfd, &len) == 0, pidfd >= 0 else { return false }
        close(pidfd)
        return true
    }

    /// stdout and stderr together, as a user would see them (bwrap says why on stderr).
    private static func run(_ path: String, _ args: [String]) -> (status: Int32, output: String)? {
        guard case .success(let r) = Spawn(path, args).capture(timeout: 30) else { return nil }
        return (r.status, String(decoding: r.output + r.errorOutput, as: UTF8.self))
    }
}

/// What `keyrack doctor` says about sandboxes: every fact probed, none assumed.
public struct SandboxReport: Equatable, Sendable {
    /// bwrap's path, or why there is none.
    public var bubblewrap: Result<String, SandboxError>
    public var version: String?
    /// nil when a user namespace could be made; else bwrap's reason (nil too without bwrap).
    public var userNamespaceProblem: String?
    public var pidfd: Bool
    public var peerPidfd: Bool

    public static func probe(environment: [String: String] = ProcessInfo.processInfo.environment) -> SandboxReport {
        let found = Result { try SandboxProbe.bubblewrap(environment: environment) }.mapError { $0 as? SandboxError ?? .system("\($0)") }
        let path = try? found.get()
        return SandboxReport(bubblewrap: found, version: path.flatMap(SandboxProbe.version(of:)),
                             userNamespaceProblem: path.flatMap(SandboxProbe.userNamespaceProblem(bwrap:)),
                             pidfd: SandboxProbe.pidfdWorks, peerPidfd: SandboxProbe.peerPidfdWorks)
    }
}
