import AgeFormat
import AgeYubiKey
import PIV
import SecretBytes

/// `via: yubikey`: a P-256 key in a retired PIV slot, `piv-p256` stanzas exactly as
/// age-plugin-yubikey writes them, so `age` + `age-plugin-yubikey` open the manifest too; or,
/// with `--recipient-type tag`, the same key as an `age1tag1…` recipient (`p256tag` stanzas,
/// which age ≥ 1.3 writes without a plugin). Unlock unwraps either on the card.
///
/// `init` uses the key already in `--slot` when there is one (no PIN, no touch), and otherwise
/// generates one in the chosen (or first free) retired slot with the given policies, which needs
/// the card's PIN. Unlock costs one ECDH on the card, PIN and touch as the slot's policy says.
struct YubiKeyBackend: RecipientBackend {
    var via: Via { .yubikey }

    /// Robots unlock unattended (the key still never leaves the card); humans type the PIN once
    /// and touch per unlock (cached for 15 s).
    static func defaultPolicies(for owner: OwnerName) -> (pin: String, touch: String) {
        owner == .human ? ("once", "cached") : ("never", "never")
    }

    func setUp(_ request: RecipientSetupRequest) throws -> RecipientSetup {
        let defaults = YubiKeyBackend.defaultPolicies(for: request.owner)
        let pinName = request.pinPolicy ?? defaults.pin, touchName = request.touchPolicy ?? defaults.touch
        guard let pinPolicy = PINPolicy(name: pinName), let touchPolicy = TouchPolicy(name: touchName) else {
            throw KeyrackError.usage("invalid PIN or touch policy '\(pinName)'/'\(touchName)': PIN never|once|always, touch never|always|cached")
        }
        guard let type = YubiKeyRecipientType(rawValue: request.recipientType ?? YubiKeyRecipientType.default.rawValue) else {
            throw KeyrackError.usage("invalid --recipient-type '\(request.recipientType!.prefix(20))': use piv-p256 or tag")
        }
        let slot = try request.slot.map { text -> PIVSlot in
            guard let s = PIVSlot(parsing: text), s.isRetired else {
                throw KeyrackError.usage("invalid --slot '\(text.prefix(8))': use a retired slot 82–95 in hex")
            }
            return s
        }
        if try YubiKeyKeyAlgorithm.parse(request.keyAlgorithm) == .x25519 {
            return try setUpX25519(request, slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy)
        }
        return try card {
            let touch: TouchNotifier = { serial in request.interaction.notice("touch your YubiKey (serial \(serial))") }
            if let slot, let existing = try existingKey(serial: request.serial, slot: slot) {
                let (serial, key) = existing
                let pubkey = try type.recipient(point: key.compressedPoint).description
                return RecipientSetup(pubkey: pubkey,
                                      location: RecipientLocation(label: RecipientLabel.primary, via: .yubikey, pubkey: pubkey,
                                                                  serial: serial, slot: hex(slot)),
                                      yubikey: YubiKeySlot(serial: serial, slot: hex(slot), pinPolicy: pinName, touchPolicy: touchName))
            }
            var pin = try request.interaction.secret("Enter the PIN of the YubiKey\(request.serial.map { " \($0)" } ?? "") (to create keyrack's key for \(request.owner)): ")
            defer { wipe(&pin) }
            let made = try YubiKeyRecipientSource.setup(serial: request.serial, slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy,
                                                        pin: pin, name: "keyrack \(request.owner.value)", touchNotifier: touch)
            let pubkey = try type.recipient(point: made.recipient.compressedPoint).description
            return RecipientSetup(pubkey: pubkey,
                                  location: RecipientLocation(label: RecipientLabel.primary, via: .yubikey, pubkey: pubkey,
                                                              serial: made.serial, slot: hex(made.slot)),
                                  yubikey: YubiKeySlot(serial: made.serial, slot: hex(made.slot), pinPolicy: pinName, touchPolicy: touchName))
        }
    }

    func recipient(publicKey: String) throws -> any Recipient {
        do {
            switch RecipientString.kind(of: publicKey) {
            // A P-256 slot in either form, or an X25519 slot (5.7+), whose recipient is a plain age1….
            case .pivP256?, .p256Tag?, .x25519?: return try RecipientString.recipient(publicKey)
            // Anything else is refused in the words of the slot form keyrack makes by default.
            default: return try PIVP256Recipient(string: publicKey)
            }
        } catch {
            throw KeyrackError.usage("invalid YubiKey recipient '\(publicKey.prefix(24))…': \(error)")
        }
    }

    func identity(for record: RecipientLocation, interaction: Interaction) throws -> any Identity {
        if let x25519 = try x25519Identity(for: record, interaction: interaction) { return x25519 }
        guard let serial = record.serial, let slotText = record.slot, let slot = PIVSlot(parsing: slotText) else {
            throw KeyrackError(.wrongIdentity, "no YubiKey serial and slot are recorded for recipient \(record.label) (\(record.pubkey.prefix(24))…): pass --identity with its AGE-PLUGIN-YUBIKEY-1… file")
        }
        guard let recipient = try? YubiKeyRecipientType.parse(record.pubkey).key else {
            throw KeyrackError.usage("recipient \(record.label) is not a YubiKey key")
        }
        let identity = try YubiKeyRecipientSource.identity(
            serial: serial, slot: slot, recipient: recipient,
            pinProvider: { request in try interaction.secret(request.prompt) },
            touchNotifier: { serial in interaction.notice("touch your YubiKey (serial \(serial))") })
        return CardErrors(identity)
    }

    /// The card identity of an `AGE-PLUGIN-YUBIKEY-1…` line (the file age-plugin-yubikey and
    /// `keyrack yubikey setup` print), for `--identity FILE`: PIN and touch go through `interaction`.
    static func identity(stub: YubiKeyStub, interaction: Interaction) -> any Identity {
        CardErrors(YubiKeyIdentity(stub: stub, pinProvider: { request in try interaction.secret(request.prompt) },
                                   touchNotifier: { serial in interaction.notice("touch your YubiKey (serial \(serial))") }))
    }

    /// The P-256 key already in `slot`, with the card's serial; nil when the slot is empty.
    private func existingKey(serial: UInt32?, slot: PIVSlot) throws -> (UInt32, PIVP256Recipient)? {
        do {
            let recipient = try YubiKeyRecipientSource.recipient(serial: serial, slot: slot)
            if let serial { return (serial, recipient) }
            let cards = try YubiKeyRecipientSource.listCards()
            guard let card = cards.first(where: { $0.slots.contains { $0.recipient == recipient } }) else { return nil }
            return (card.serial, recipient)
        } catch PIVError.slotEmpty {
            return nil
        }
    }

    private func hex(_ slot: PIVSlot) -> String { String(slot.rawValue, radix: 16) }
}

/// Card failures (no card, PIN blocked, touch timeout, …) are `KeyrackError.card` (exit 5),
/// carrying the PIV error itself: the CLI words its advice, and unlock tells a card that is not
/// plugged in (move on to a backup recipient) from one that refuses.
func card<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as PIVError {
        throw KeyrackError(.card, "\(error)", cardFailure: error)
    }
}

/// Wraps a card identity so its PIV errors surface as card errors with their own message.
struct CardErrors: Identity {
    let inner: any Identity
    init(_ inner: any Identity) { self.inner = inner }
    func unwrap(_ stanzas: [Stanza]) throws -> FileKey? { try card { try inner.unwrap(stanzas) } }
}
