import Foundation
import KeyrackCore
import PIV

/// What bare `keyrack init` (the first command a new user types) chooses: `--via ssh` with the
/// user's default key (KeyrackCore's DefaultSSHKey), saying which, and pointing at `--via
/// yubikey` when a YubiKey is plugged in, since a key on the card is the better home.
public enum InitDefaults {
    /// The default public key for `--via ssh` without `--pubkey`; `bare` when --via was omitted.
    /// What was chosen and skipped goes to `note`, one line each.
    static func sshKey(userHome: URL, bare: Bool, pluggedYubiKey: () -> UInt32?, note: (InitNote) -> Void) throws -> String {
        let found = DefaultSSHKey.find(userHome: userHome)
        for s in found.skipped { note(.skippedSSHKey(path: s.path, why: s.why)) }
        let card = bare ? pluggedYubiKey() : nil
        guard found.exists else {
            throw InitRequest.Problem.noUsableSSHKey(directory: userHome.path + "/.ssh", lookedFor: DefaultSSHKey.candidates.filter { $0 != "id_ecdsa.pub" },
                                                     pluggedYubiKey: card)
        }
        note(.usingSSHKey(path: found.path, viaGiven: !bare))
        if let card { note(.yubiKeyPlugged(serial: card)) }
        return found.path
    }

    /// The serial of a plugged-in YubiKey, if any; nil too when pcscd is not there to ask.
    public static func pluggedYubiKey() -> UInt32? {
        (try? PIVCards.serials())?.first?.serial
    }
}
