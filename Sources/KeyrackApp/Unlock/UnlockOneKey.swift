#if canImport(Glibc)
import Glibc
#endif
import KeyrackClient
import KeyrackDaemon
import KeyrackNames
import ProcessSpawn

/// `get --unlock`: a locked key unlocked first, by `keyrack unlock --for O --env E --key K` as a
/// child. Its prompts use the terminal and its report goes to stderr, so stdout carries only
/// what `get` prints (the raw value with --value).
public enum UnlockOneKey {
    /// The env to unlock `key` in: the one given, else a full slug's own; nil when neither says.
    public static func env(given: String?, key: String) -> String? { given ?? Slug(parsing: key)?.env }

    /// The child's exit status (0: unlocked).
    public static func run(owner: String, env: String, key: String,
                           executable: String = DaemonLauncher.currentExecutable()) throws -> Int32 {
        var unlock = Spawn(executable, ["unlock", "--for", owner, "--env", env, "--key", key])
        unlock.stdout = .descriptor(STDERR_FILENO)
        return try unlock.run().get()
    }

    /// `get`, and when the key is locked, the key unlocked (`unlock`: `run`'s child) and `get`
    /// again. The child's exit status when it failed (it has said why on stderr), else nil.
    public static func getUnlocking(owner: String, env: String, key: String,
                                    unlock: (String, String, String) throws -> Int32 = { try run(owner: $0, env: $1, key: $2) },
                                    _ get: () throws -> Void) throws -> Int32? {
        do { try get() } catch let locked as NotGranted where locked.errorCode == "locked" {
            let status = try unlock(owner, env, key)
            guard status == 0 else { return status }
            try get()
        }
        return nil
    }
}
