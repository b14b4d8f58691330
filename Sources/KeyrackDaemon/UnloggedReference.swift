#if canImport(Glibc)
import Glibc
#endif
import KeyrackNames
import SecretBytes

/// The reference the access log's cost is measured against (`keyrack daemon bench
/// --without-audit-log`, scripts/bench): the same `DaemonServer` in a process of its own, with
/// no access log, driven by the same `LoadGenerator` in the same run as the logging daemon, so
/// the two throughput rows differ by the log alone.
///
/// Why it cannot stand in for an owner's daemon: its socket is in a fresh 0700 directory of its
/// own (no client finds it by owner name), it holds one synthetic grant with a random value,
/// and it exits once that grant ends (at most a minute after the measurement) or when the
/// measuring process stops it. A real daemon never starts without its log (DaemonProcess).
public enum UnloggedReference {
    /// The slug of the synthetic grant (the one `daemon bench --seed` puts in the owner's daemon).
    public static let slug = Slug(org: "bench", env: "test", key: "BENCH_KEY")!

    /// Starts the reference in a private directory under the caller's runtime directory, runs
    /// the load against it, stops it and removes the directory.
    public static func measure(executable: String, owner: String, clients: Int, milliseconds: UInt64) throws -> LoadGenerator.Result {
        let runtime = RuntimeDirectory.current()
        try runtime.prepare()
        var template = Array("\(runtime.path)/bench-unlogged.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw DaemonError.io("mkdtemp in \(runtime.path)", errno: errno) }
        let directory = String(cString: made)
        defer { removeDirectory(directory, owner: owner) }
        let client = DaemonClient(owner: owner, runtime: RuntimeDirectory(path: directory))
        let started = try DaemonLauncher.ensureRunning(client, executable: executable,
                                             arguments: ["daemon", "bench", "--for", owner, "--serve-without-audit-log", directory,
                                                         "--milliseconds", String(milliseconds)])
        defer { _ = try? client.send(.stop) }
        return LoadGenerator.run(client, clients: clients, milliseconds: milliseconds, query: Query(key: slug.description), serverPID: started.pid)
    }

    /// The child: serves the synthetic grant on `directory`'s socket until stopped, or until
    /// the grant (measurement time plus a minute) has ended.
    public static func serve(directory: String, owner: String, milliseconds: UInt64) throws {
        Hardening.apply()
        for fd in 3..<256 { close(Int32(fd)) }
        let runtime = RuntimeDirectory(path: directory)
        try runtime.check()
        var configuration = DaemonServer.Configuration(owner: owner, socketPath: runtime.socket(owner: owner),
                                                       pidPath: runtime.pidFile(owner: owner), allowedUID: geteuid())
        configuration.idleExitMilliseconds = 1000
        configuration.audit = nil
        signal(SIGPIPE, SIG_IGN)
        let server = DaemonServer(configuration: configuration)
        try server.start()
        var value = [UInt8](repeating: 0, count: 40)
        for i in value.indices { value[i] = UInt8(ascii: "a") + UInt8.random(in: 0..<26) }
        defer { zeroize(&value) }
        _ = try server.store.put([GrantRequest(slug: slug, vault: "os.daemon", ttlMilliseconds: milliseconds + 60_000, value: value)])
        server.waitUntilStopped()
    }

    private static func removeDirectory(_ directory: String, owner: String) {
        let runtime = RuntimeDirectory(path: directory)
        for file in [runtime.socket(owner: owner), runtime.pidFile(owner: owner), runtime.startLock(owner: owner), runtime.logFile(owner: owner)] {
            unlink(file)
        }
        rmdir(directory)
    }
}
