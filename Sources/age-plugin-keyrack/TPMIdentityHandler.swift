import AgeFormat
import AgePlugin
import AgeTPM
import TPM
#if canImport(Glibc)
import Glibc
#endif

/// `age-plugin-tpm` (this binary under that name, a symlink): `identity-v1` for
/// `AGE-PLUGIN-TPM-1…` identities — a keyrack TPM owner's identity file, or age-plugin-tpm's own
/// — so any age client decrypts their `p256tag` stanzas with the ECDH on this machine's TPM
/// (KEYRACK_TPM_TCTI, else the file's TCTI, else /dev/tpmrm0). The PIN, when the key has one,
/// is asked through the client (`request-secret`), once per file and never retried.
struct TPMIdentityHandler: IdentityPluginHandler {
    func unwrap(_ request: IdentityV1Request, session: IdentityV1Session) throws {
        var stubs: [TPMStub] = []
        var invalid = false
        for (i, text) in request.identities.enumerated() {
            do { stubs.append(try TPMStub(string: text)) } catch {
                invalid = true
                try session.identityError(i, "\(error)")
            }
        }
        guard !invalid else { return }
        let variable = getenv(TPMClient.tctiVariable).map { String(cString: $0) }
        let tcti = TPMClient.tcti(environment: variable.map { [TPMClient.tctiVariable: $0] } ?? [:])
        for file in request.files {
            let stanzas = file.stanzas.map { Stanza(type: $0.command, arguments: $0.arguments, body: $0.body) }
            for (i, stub) in stubs.enumerated() {
                let identity = TPMIdentity(stub: stub, client: TPMClient(tcti: tcti), pinProvider: { tries in
                    try session.requestSecret(TPMPrompt.request(triesLeft: tries))
                })
                do {
                    if let key = try identity.unwrap(stanzas) {
                        try session.fileKey(file: file.index, key.bytes)
                        break
                    }
                } catch let error as TPMError {
                    // Reported against the identity, once: a wrong PIN is never retried.
                    try session.identityError(i, "age-plugin-tpm (keyrack): \(error)")
                    return
                }
            }
        }
    }
}
