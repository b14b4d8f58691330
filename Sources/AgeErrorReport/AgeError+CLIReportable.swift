import AgeFormat
import KeyrackClient

/// How `keyrack age` reports the age core's errors: one line naming what was wrong and what to
/// try next. All are exit 1 (a failure of the file or key, not of the command line). One module
/// because two binaries say them: keyrack-age (X25519, static, no Foundation) and keyrack-cli
/// (every other key kind); Tests/CLITests/AgeFrontEndAgreementTests.swift runs both.
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
