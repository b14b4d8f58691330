import KeyrackApp

/// `init`'s notes on stderr as it goes: the key it chose or skipped, the card it saw, a PIN-never warning.
extension InitNote {
    public var line: String {
        switch self {
        case .skippedSSHKey(let path, let why): "note: skipped \(path): \(why)"
        case .usingSSHKey(let path, let viaGiven): "keyrack init: using the ssh key \(path)\(viaGiven ? "" : " (no --via given, so --via ssh)")"
        case .yubiKeyPlugged(let serial): "  a YubiKey (serial \(serial)) is plugged in: `keyrack init --via yubikey` keeps the owner's key on the card instead"
        case .pinNeverOnOpenPcscd(let owner, let pcscd, let uid):
            "warning: '\(owner)' gets a PIN-never slot while \(pcscd): while the card is plugged in, any local user can open a copy of this owner's manifest. Prefer --pin-policy once and give uid \(uid) its PIN with `keyrack unlock --pin-file FILE` (mode 0600, owned by that user); see docs/security-model.md"
        }
    }
}
