import KeyrackClient
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif

/// How an owner's daemon is started and who may start it: the one place the `daemon run`
/// arguments and the uid-pin refusal are written (unlock, the identity agent, `set --vault
/// os.daemon` and the bench all start it through here).
public enum DaemonStart {
    /// The argv after the executable: the owner, and the uid its clients must have when pinned.
    public static func arguments(owner: String, pinnedUID: UInt32?) -> [String] {
        ["daemon", "run", "--for", owner] + (pinnedUID.map { ["--uid", String($0)] } ?? [])
    }

    /// An owner pinned to a uid (by its manifest or its recipients file) is unlocked by that
    /// user only: its daemon would refuse everyone else's requests anyway, so say so first.
    /// `by` names where the pin was read ("" for the recipients file, " by its manifest").
    public static func refuseOtherUID(owner: String, pinnedUID: UInt32?, by: String = "", action: String, uid: UInt32 = getuid()) throws {
        guard let pinnedUID, pinnedUID != uid else { return }
        throw DaemonError.denied(owner: owner, reason: "owner '\(owner)' is pinned to uid \(pinnedUID)\(by), and this is uid \(uid); run the \(action) as that user")
    }

    /// The owner's daemon, started (once, however many race) when none answers. `started` gets
    /// the pid of a daemon this call started.
    public static func ensure(owner: String, pinnedUID: UInt32?, started: (Int32) -> Void = { _ in }) throws -> DaemonClient {
        let result = try ensureRunning(owner: owner, pinnedUID: pinnedUID)
        if result.spawned { started(result.pid) }
        return DaemonClient(owner: owner)
    }

    /// The same, saying whether it started one, and the connection a running one answered on.
    public static func ensureRunning(owner: String, pinnedUID: UInt32?) throws -> DaemonLauncher.Started {
        try DaemonLauncher.ensureRunning(DaemonClient(owner: owner), executable: DaemonLauncher.currentExecutable(),
                                         arguments: arguments(owner: owner, pinnedUID: pinnedUID))
    }

    /// The line said when a command started the daemon.
    public static func startedLine(owner: String, pid: Int32) -> String { "started the daemon of '\(owner)' (pid \(pid))" }
}
