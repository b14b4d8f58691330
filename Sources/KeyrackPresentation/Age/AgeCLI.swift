import AgeErrorReport
import AgeFormat
import KeyrackApp
import KeyrackClient

/// The age commands' secrets: the terminal's, and a note on stderr when a failed run removed
/// its partial output file (AgeErrorReport's words, the ones keyrack-age says too).
public enum AgeCLI {
    public static var terminal: LiveTerminal { LiveTerminal() }

    public static func output(_ path: String?) -> AgeOutput {
        AgeOutput.reportingRemoval(path: path)
    }
}
