import KeyrackApp
import KeyrackClient

/// The age commands' secrets: the terminal's, and a note on stderr when a failed run removed
/// its partial output file.
public enum AgeCLI {
    public static let terminal = LiveTerminal()

    public static func output(_ path: String?) -> AgeOutput {
        AgeOutput(path: path, removed: { Terminal.printError("keyrack: removed the incomplete output '\($0)'") })
    }
}
