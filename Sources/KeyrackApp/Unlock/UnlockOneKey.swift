#if canImport(Glibc)
import Glibc
#endif
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
}
