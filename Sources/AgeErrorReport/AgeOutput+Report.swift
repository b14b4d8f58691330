import AgeFormat
import KeyrackClient

// The output file's side of what both age binaries say (AgeFormat's AgeOutput holds the
// lifecycle): the note when a failed run removed its partial file, and the output's errors.

extension AgeOutput {
    /// The output as keyrack-cli and keyrack-age open it: a failed run that removed its partial
    /// file says so on stderr, in the same words from either binary.
    public static func reportingRemoval(path: String?) -> AgeOutput {
        AgeOutput(path: path, removed: { Terminal.printError("keyrack: removed the incomplete output '\($0)'") })
    }
}

extension AgeOutputError: CLIReportable {
    public var cliMessage: String { "error: \(description)" }
    public var exitCode: Int32 { ExitStatus.failure }
}
