/// What `init` tells a person on the way, typed: the CLI words each line (KeyrackPresentation's InitNote+Text), so
/// the app layer names no command or option.
public enum InitNote: Equatable, Sendable {
    /// A default ssh key that cannot be an age recipient (ECDSA), passed over.
    case skippedSSHKey(path: String, why: String)
    /// The ssh key chosen; `viaGiven` false when no backend was named and ssh is the default.
    case usingSSHKey(path: String, viaGiven: Bool)
    /// Bare init with a YubiKey plugged in: the card is the better home for the owner's key.
    case yubiKeyPlugged(serial: UInt32)
    /// A PIN-never slot for an owner pinned to another uid while pcscd is open to every local
    /// user (`pcscd` says how): a PIN policy of once with the PIN in that user's file is safer.
    case pinNeverOnOpenPcscd(owner: String, pcscd: String, uid: UInt32)
}
