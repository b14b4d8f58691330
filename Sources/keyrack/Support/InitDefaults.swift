import Foundation
import KeyrackCore
import PIV
import KeyrackClient

/// What bare `keyrack init` (the first command a new user types) chooses: `--via ssh` with the
/// user's default key (KeyrackCore's DefaultSSHKey), saying which on stderr, and pointing at
/// `--via yubikey` when a YubiKey is plugged in, since a key on the card is the better home.
enum InitDefaults {
    /// The default public key for `--via ssh` without `--pubkey`; `bare` when --via was omitted.
    static func sshKey(userHome: URL, bare: Bool) throws -> String {
        let found = DefaultSSHKey.find(userHome: userHome)
        for s in found.skipped { Terminal.printError("note: skipped \(s.path): \(s.why)") }
        let card = bare ? pluggedYubiKey() : nil
        let yubikeyHint = card.map { " (a YubiKey, serial \($0), is plugged in)" } ?? ""
        guard found.exists else {
            let names = DefaultSSHKey.candidates.filter { $0 != "id_ecdsa.pub" }.joined(separator: ", ")
            throw UsageError("no usable ssh key in \(userHome.path)/.ssh (looked for \(names)): make one with `ssh-keygen -t ed25519`, pass --pubkey, or run \(fix: "keyrack init --via yubikey")\(yubikeyHint) or \(fix: "keyrack init --via age")")
        }
        Terminal.printError("keyrack init: using the ssh key \(found.path)\(bare ? " (no --via given, so --via ssh)" : "")")
        if let card {
            Terminal.printError("  a YubiKey (serial \(card)) is plugged in: `keyrack init --via yubikey` keeps the owner's key on the card instead")
        }
        return found.path
    }

    /// The serial of a plugged-in YubiKey, if any; nil too when pcscd is not there to ask.
    private static func pluggedYubiKey() -> UInt32? {
        (try? PIVCards.serials())?.first?.serial
    }
}
