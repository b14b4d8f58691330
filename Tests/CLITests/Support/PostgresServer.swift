import Foundation
import TestSupport
import XCTest

/// A real PostgreSQL (Debian's postgresql-15) for OpenBao's database secrets engine, started by
/// the test that needs it and stopped at its end: a fresh cluster in a temp directory, owned by
/// the `postgres` user (root may not run the server), listening on 127.0.0.1 at a random port,
/// with a superuser `admin` whose password only OpenBao's connection and the test's queries use.
final class PostgresServer {
    let dir: TempDirectory
    let port: Int
    let adminPassword: String
    private var process: Spawned?

    /// Debian keeps the server programs off PATH, in /usr/lib/postgresql/VERSION/bin.
    static func pgbin(_ name: String) -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for v in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/\(name)") { return "\(root)/\(v)/bin/\(name)" }
        return "\(root)/15/bin/\(name)"
    }

    private static let initdb = pgbin("initdb"), pgCtl = pgbin("pg_ctl"), psqlBinary = pgbin("psql"), postgres = pgbin("postgres")

    var data: String { dir.file("data").path }
    var logFile: String { dir.file("server.log").path }

    init() throws {
        guard let pw = getpwnam("postgres") else {
            throw NSError(domain: "Postgres", code: 1, userInfo: [NSLocalizedDescriptionKey: "no postgres user: run scripts/install-deps (it installs postgresql)"])
        }
        dir = try TempDirectory("keyrack-pg")
        port = Int.random(in: 30_000...39_999)
        adminPassword = randomSecret("pgadmin")
        chown(dir.path, pw.pointee.pw_uid, pw.pointee.pw_gid)
        chmod(dir.path, 0o700)
        let pwfile = dir.file("pw")
        try Data(adminPassword.utf8).write(to: pwfile)
        chown(pwfile.path, pw.pointee.pw_uid, pw.pointee.pw_gid)
        let made = try asPostgres([Self.initdb, "-D", data, "-A", "scram-sha-256", "--pwfile=\(pwfile.path)", "-U", "admin", "--no-sync"])
        guard made.status == 0 else { throw NSError(domain: "Postgres", code: 2, userInfo: [NSLocalizedDescriptionKey: "initdb failed: \(made)"]) }
        // The server in the foreground, as a child of the test (pg_ctl start would leave it
        // holding the test's output pipe); ready once the superuser's query answers.
        process = try Spawned("/usr/sbin/runuser", ["-u", "postgres", "--", Self.postgres, "-D", data, "-c", "listen_addresses=127.0.0.1",
                                                   "-p", "\(port)", "-c", "unix_socket_directories=\(dir.path)", "-c", "fsync=off"],
                              environment: ["HOME": dir.path], stderrPath: logFile)
        let deadline = Date().addingTimeInterval(60)
        while try psql(user: "admin", password: adminPassword, "select 1").status != 0 {
            guard Date() < deadline, process?.isRunning == true else {
                let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
                stop()
                throw NSError(domain: "Postgres", code: 3, userInfo: [NSLocalizedDescriptionKey: "PostgreSQL did not start:\n\(log.suffix(2000))"])
            }
            usleep(100_000)
        }
    }

    deinit { stop() }

    private func asPostgres(_ argv: [String]) throws -> RunResult {
        try Run.process("/usr/sbin/runuser", ["-u", "postgres", "--"] + argv, environment: ["HOME": dir.path])
    }

    /// `psql` over TCP as `user` with `password` (PGPASSWORD: the test's own tool, not keyrack).
    func psql(user: String, password: String, _ sql: String) throws -> RunResult {
        try Run.process(Self.psqlBinary, ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "postgres", "-w", "-tAc", sql],
                        environment: ["PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10", "HOME": dir.path])
    }

    /// A query as the superuser that must succeed; its output, trimmed.
    func admin(_ sql: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try psql(user: "admin", password: adminPassword, sql)
        XCTAssertEqual(r.status, 0, "psql \(sql)\n\(r)", file: file, line: line)
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The login roles OpenBao created (its names start with v-).
    func dynamicRoles() throws -> [String] {
        try admin("select rolname from pg_roles where rolname like 'v-%' order by 1").split(separator: "\n").map(String.init)
    }

    func stop() {
        if let process, process.isRunning {
            // pg_ctl stop -w returns once the server is down.
            _ = try? asPostgres([Self.pgCtl, "-D", data, "-m", "immediate", "-w", "stop"])
            if process.isRunning { kill(process.pid, SIGKILL) }
            _ = process.waitForExit()
        }
        process = nil
        dir.remove()
    }
}
