import AgeFormat
import AgeYubiKey
import PIV
import SecretBytes

/// `via: yubikey` with `--algorithm x25519` (firmware 5.7+): the slot holds an X25519 key, so the
/// owner's recipient is a plain age `age1…` recipient — any age encrypts to it without a plugin,
/// and the manifest's stanza is age's own `X25519` — while unlock does the X25519 on the card.
/// The owner record says `via: yubikey` with the serial and slot; the public key alone looks
/// like an `age` one, which is what it is to everyone who only encrypts.
extension YubiKeyBackend {
    func setUpX25519(_ request: RecipientSetupRequest, _ spec: YubiKeyRecipientSpec, policies: (pin: PINPolicy, touch: TouchPolicy)) throws -> RecipientSetup {
        try card {
            if let slot = spec.slot {
                do {
                    let (serial, recipient) = try YubiKeyX25519Keys.recipient(serial: spec.serial, slot: slot)
                    return setup(serial: serial, slot: slot, pubkey: recipient.string, policies: policies)
                } catch PIVError.slotEmpty {}
            }
            var pin = try request.interaction.secret(.pin(prompt: "Enter the PIN of the YubiKey\(spec.serial.map { " \($0)" } ?? "") (to create keyrack's X25519 key for \(request.owner)): "))
            defer { wipe(&pin) }
            let new = try YubiKeyX25519Keys.setup(serial: spec.serial, slot: spec.slot, pinPolicy: policies.pin, touchPolicy: policies.touch, pin: pin)
            return setup(serial: new.serial, slot: new.slot, pubkey: new.recipient.string, policies: policies)
        }
    }

    /// The card identity for a recorded X25519 slot recipient; nil when `record` is not one.
    func x25519Identity(for record: RecipientLocation, interaction: Interaction) throws -> (any Identity)? {
        guard let recipient = try? X25519Recipient(string: record.pubkey) else { return nil }
        let (serial, slot) = try recordedCard(record)
        let identity = YubiKeyX25519Identity(
            serial: serial, slot: slot, recipient: recipient,
            pinProvider: { request in try interaction.secret(.pin(prompt: request.prompt)) },
            touchNotifier: { serial in interaction.notice(.touch(serial: serial)) })
        return CardErrors(identity)
    }
}
