import AgeFormat
import AgeYubiKey
import Foundation
import TPM

/// The identity file of a TPM owner: comment lines (age and age-plugin-tpm skip them), then the
/// `AGE-PLUGIN-TPM-1…` line. One comment is read back: `# TCTI: …`, the TCTI the key was made
/// through, used when KEYRACK_TPM_TCTI is not set.
public struct TPMIdentityFile: Sendable, Equatable {
    public var stub: TPMStub
    public var tcti: String?

    public init(stub: TPMStub, tcti: String?) {
        self.stub = stub
        self.tcti = tcti
    }

    public init(text: String) throws {
        var stub: TPMStub?
        var tcti: String?
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("# TCTI:") { tcti = line.dropFirst("# TCTI:".count).trimmingCharacters(in: .whitespaces) }
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard stub == nil else { throw AgeError.invalidKey("line \(number + 1): a TPM identity file holds one identity") }
            do { stub = try TPMStub(string: line) } catch let error as AgeError {
                throw AgeError.invalidKey("line \(number + 1): \(error.reason)")
            }
        }
        guard let stub else { throw AgeError.invalidKey("no AGE-PLUGIN-TPM-1 identity in the file") }
        self.stub = stub
        self.tcti = tcti
    }

    public func text(owner: String, created: Date) -> String {
        let formatter = ISO8601DateFormatter()
        var lines = ["# keyrack TPM identity for owner \(owner): a P-256 key sealed by this machine's TPM",
                     "# (age-plugin-tpm's encoding; it opens on this TPM only)",
                     "# Created: \(formatter.string(from: created))",
                     "# Recipient: \(stub.recipient.string)",
                     "# PIN: \(stub.key.hasPIN ? "yes" : "no")"]
        if let tcti { lines.append("# TCTI: \(tcti)") }
        lines += ["", stub.string]
        return lines.joined(separator: "\n") + "\n"
    }
}
