import AgeFormat
import KeyrackClient

/// How the age core's errors read, as keyrack-cli says them (its AgeFiles.swift): one line
/// naming what was wrong and what to try next, exit 1. Kept word for word with the CLI's;
/// Tests/CLITests/AgeFrontEndAgreementTests.swift runs both binaries on each kind of failure.
extension AgeError: CLIReportable {
    public var cliMessage: String {
        switch self {
        case .noMatchingIdentity:
            return "error: \(description); check that -i names the key this file was encrypted to"
        case .headerMACMismatch:
            return "error: \(description); the file is corrupted or was modified, do not trust it"
        case .truncated:
            return "error: \(description); the output holds only the part that authenticated, get a complete copy of the file"
        case .malformedHeader:
            return "error: \(description); is this an age file?"
        case .payloadAuthenticationFailed, .trailingData, .emptyLastChunk:
            return "error: \(description); get an intact copy of the file"
        case .malformedArmor:
            return "error: \(description); the armored file was altered (line breaks, extra text?)"
        case .invalidKey, .incompatibleRecipients, .malformedStanza, .scrypt, .io:
            return "error: \(description)"
        }
    }
    public var exitCode: Int32 { ExitStatus.failure }
}
