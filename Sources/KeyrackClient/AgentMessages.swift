/// What the identity agent says to users, shared by the plugin and the CLI.
public enum AgentMessages {
    /// The agent of `owner` holds nothing: the one command that fixes it.
    public static func locked(_ owner: String) -> String {
        "the keyrack identity agent of '\(owner)' is locked: run `keyrack unlock\(Fix.ownerFlag(owner)) --identity-agent`"
    }
}
