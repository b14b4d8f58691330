import KeyrackApp
import KeyrackClient

/// The keycard proxy's failures, their remedies in exec's options.
extension ExecProxyError: CLIReportable {
    public var cliMessage: String { "error: \(problem): \(cliFix)" }
    public var exitCode: Int32 { ExitStatus.failure }

    public var cliFix: String {
        switch self {
        case .unreadableCA: "give a readable PEM file (SSL_CERT_FILE, --upstream-cacert)"
        case .proxyFailed: "check that SSL_CERT_FILE and --upstream-cacert name PEM certificate files, then retry"
        case .noPlaceholder: "pass this key without --proxy, or leave it out with --key"
        case .tempDirectory: fix
        }
    }
}
