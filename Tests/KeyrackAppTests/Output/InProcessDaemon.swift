import Foundation
import KeyrackDaemon
import KeyrackNames
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An owner's daemon served by this test process: the real DaemonServer on a socket in a private
/// runtime directory, with XDG_RUNTIME_DIR pointed at it until `stop`, so the output use cases
/// (ValueFetch, exec's environment, inject, source) run in-process against real grants.
final class InProcessDaemon {
    let owner: String
    let dir: TempDirectory
    private let runtime: RuntimeDirectory
    private let server: DaemonServer
    private let env = EnvironmentOverride()

    init(owner: String) throws {
        self.owner = owner
        // Short path: sun_path holds 107 bytes.
        dir = try TempDirectory("krd")
        runtime = RuntimeDirectory.resolve(xdgRuntimeDirectory: dir.path, uid: getuid())
        try runtime.prepare()
        var c = DaemonServer.Configuration(owner: owner, socketPath: runtime.socket(owner: owner),
                                           pidPath: runtime.pidFile(owner: owner), allowedUID: geteuid())
        c.idleExitMilliseconds = nil
        server = DaemonServer(configuration: c, log: { _ in })
        try server.start()
        env.set("XDG_RUNTIME_DIR", dir.path)
    }

    var client: DaemonClient { DaemonClient(owner: owner, runtime: runtime) }

    /// Grants `values` (slug text → value) as `unlock` does; `catalog`: every slug the manifest has.
    func grant(_ values: [(String, String)], catalog: [String]? = nil) throws {
        let grants = values.map { GrantRequest(slug: Slug(parsing: $0.0)!, vault: "os.secure", ttlMilliseconds: 600_000, value: Array($0.1.utf8)) }
        _ = try client.send(.unlock(grants, catalog: catalog.map { UnlockCatalog($0.map { Slug(parsing: $0)! }, besides: grants) }))
    }

    func relock() throws { _ = try client.send(.relock(env: nil, key: nil)) }

    func stop() {
        server.stop()
        server.waitUntilStopped()
        env.restore()
        dir.remove()
    }
}
