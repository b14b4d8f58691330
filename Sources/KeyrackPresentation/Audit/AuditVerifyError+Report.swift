import KeyrackApp
import KeyrackClient

/// `--card-key`'s file is named by its flag.
extension AuditVerifyError: CLIReportable {
    public var cliMessage: String {
        switch self {
        case .notACardKey(let path): return "error: --card-key \(path) is not a P-256 public key in PEM: give the PEM file `keyrack yubikey setup --slot 9a` printed"
        }
    }
    public var exitCode: Int32 { ExitStatus.failure }
}
