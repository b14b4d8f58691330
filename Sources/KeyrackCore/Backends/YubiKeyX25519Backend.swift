import AgeFormat
import AgeYubiKey
import PIV
import SecretBytes

/// `via: yubikey` with `--algorithm x25519` (firmware 5.7+): the slot holds an X25519 key, so the
/// owner's recipient is a plain age `age1…` recipient — any age encrypts to it without a plugin,
/// and the manifest's stanza is age's own `X25519` — while unlock does the X25519 on the card.
/// The owner record says `via: yubikey` with the serial and slot; the public key alone looks
/// like an `age` one, which is what it is to everyone who only encrypts.
enum YubiKeyKeyAlgorithm: String {
    case p256, x25519

    static func parse(_ text: String?) throws -> YubiKeyKeyAlgorithm {
        guard let text else { return .p256 }
        guard let a = YubiKeyKeyAlgorithm(rawValue: text.lowercased()) else {
            throw KeyrackError.usage("invalid --algorithm '\(text.prefix(20))': use p256 (any YubiKey 4/5) or x25519 (firmware 5.7+)")
        }
        return a
    }
}

extension YubiKeyBackend {
    func setUpX25519(_ request: RecipientSetupRequest, slot: PIVSlot?, pinPolicy: PINPolicy, touchPolicy: TouchPolicy) throws -> RecipientSetup {
        try card {
            func made(_ serial: UInt32, _ slot: PIVSlot, _ recipient: X25519Recipient) -> RecipientSetup {
                let slotText = String(slot.rawValue, radix: 16)
                return RecipientSetup(pubkey: recipient.string,
                                      location: RecipientLocation(label: RecipientLabel.primary, via: .yubikey, pubkey: recipient.string,
                                                                  serial: serial, slot: slotText),
                                      yubikey: YubiKeySlot(serial: serial, slot: slotText, pinPolicy: pinPolicy.description,
                                                           touchPolicy: touchPolicy.description))
            }
            if let slot {
                do {
                    let (serial, recipient) = try YubiKeyX25519Keys.recipient(serial: request.serial, slot: slot)
                    return made(serial, slot, recipient)
                } catch PIVError.slotEmpty {}
            }
            var pin = try request.interaction.secret("Enter the PIN of the YubiKey\(request.serial.map { " \($0)" } ?? "") (to create keyrack's X25519 key for \(request.owner)): ")
            defer { wipe(&pin) }
            let setup = try YubiKeyX25519Keys.setup(serial: request.serial, slot: slot, pinPolicy: pinPolicy,
                                                    touchPolicy: touchPolicy, pin: pin)
            return made(setup.serial, setup.slot, setup.recipient)
        }
    }

    /// The card identity for a recorded X25519 slot recipient; nil when `record` is not one.
    func x25519Identity(for record: RecipientLocation, interaction: Interaction) throws -> (any Identity)? {
        guard let recipient = try? X25519Recipient(string: record.pubkey) else { return nil }
        guard let serial = record.serial, let slotText = record.slot, let slot = PIVSlot(parsing: slotText) else {
            throw KeyrackError(.wrongIdentity, "no YubiKey serial and slot are recorded for recipient \(record.label) (\(record.pubkey.prefix(24))…): re-run `keyrack init` or pass --identity")
        }
        let identity = YubiKeyX25519Identity(
            serial: serial, slot: slot, recipient: recipient,
            pinProvider: { request in try interaction.secret(request.prompt) },
            touchNotifier: { serial in interaction.notice("touch your YubiKey (serial \(serial))") })
        return CardErrors(identity)
    }
}
