import KeyrackDaemon

/// The commands that fix things, spelled the way the user should type them.
public enum Fix {
    public static func ownerFlag(_ owner: String) -> String { owner == "human" ? "" : " --for \(owner)" }

    public static func unlock(owner: String, env: String?, key: String) -> String {
        "keyrack unlock\(ownerFlag(owner)) --env \(env ?? "ENV") --key \(key)"
    }

    public static func set(owner: String, env: String?, key: String) -> String {
        "keyrack set\(ownerFlag(owner)) --env \(env ?? "ENV") --key \(key)"
    }

    public static func relock(owner: String) -> String { "keyrack relock\(ownerFlag(owner))" }

    /// The step for an owner not initialised here, worded once for both binaries: the front
    /// end's `get` (which cannot link KeyrackCore) and the full CLI's KeyrackError remedy.
    public static func initialise(owner: String) -> ErrorLine {
        "run \(fix: "keyrack init\(ownerFlag(owner))") (your ssh key; or --via yubikey|age)"
    }
}
