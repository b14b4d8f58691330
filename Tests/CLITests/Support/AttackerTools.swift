import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

typealias UnixUser = (name: String, uid: UInt32, gid: UInt32)

/// What the trust-boundary tests do as other Unix users: run a binary as them (util-linux
/// `setpriv`, as CI runs the tests as root), with variables set or explicitly unset.
enum AsUser {
    /// Runs `binary args` as `user` in `cwd`. `env` adds variables; `unset` removes them even when
    /// the test process has them (cron and `sudo -u bot -i` have no XDG_RUNTIME_DIR).
    static func run(_ user: UnixUser, _ binary: String, _ args: [String], env: [String: String] = [:], unset: [String] = [],
                    stdin: String = "", cwd: String = "/") throws -> RunResult {
        var e: [String: String?] = [:]
        for (k, v) in env { e[k] = v }
        for k in unset { e.updateValue(nil, forKey: k) }
        return try Run.process("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", binary] + args,
                               stdin: Array(stdin.utf8), environment: e, currentDirectory: URL(fileURLWithPath: cwd))
    }

    /// A directory owned by `user` with `mode`, as that user would have made it.
    static func directory(_ path: String, owner: UnixUser, mode: mode_t) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        XCTAssertEqual(chown(path, owner.uid, owner.gid), 0)
        XCTAssertEqual(chmod(path, mode), 0)
    }
}

/// A hostile user's fake daemon (Fixtures/keyrack-squatter, run as that user): it answers every
/// GET with planted values and logs each request it receives, so a test can show a client never
/// sent it one.
final class Squatter {
    let process: Spawned
    let log: String

    init(as user: UnixUser, socket: String, log: String, bashEnv: String) throws {
        self.log = log
        FileManager.default.createFile(atPath: log, contents: Data())
        XCTAssertEqual(chown(log, user.uid, user.gid), 0)
        let script = Run.packageRoot.appendingPathComponent("Tests/CLITests/Fixtures/keyrack-squatter").path
        process = try Spawned("/usr/bin/setpriv", ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", script, socket, log, bashEnv])
        let deadline = Date().addingTimeInterval(10)
        while !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("listening") {
            guard process.isRunning, Date() < deadline else { throw NSError(domain: "Squatter", code: 1, userInfo: [NSLocalizedDescriptionKey: "the squatter did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"]) }
            usleep(10_000)
        }
    }

    /// Requests the squatter received (none, if every client refused it before sending).
    var requests: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.hasPrefix("request") }
    }

    func stop() {
        kill(process.pid, SIGKILL)
        process.waitForExit()
    }
}
