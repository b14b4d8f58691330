import KeyrackApp

/// `audit anchor`'s text: what now signs the access log's head at each unlock.
extension AuditAnchorJSON {
    public func line(signer: AuditAnchor.Signer) -> String {
        signer == .tpm
            ? "keyrack audit anchor: the TPM signs the access log of '\(owner)' at each unlock"
            : "keyrack audit anchor: YubiKey \(serial.map(String.init) ?? "?") slot \(slot) signs the access log of '\(owner)' at each unlock"
    }
}
