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

    func setUp(_ request: RecipientSetupRequest) throws -> RecipientSetup {
        guard case .yubikey(let spec) = request.spec else { preconditionFailure("YubiKeyBackend given a \(request.spec.via) spec") }
        let policies = spec.policies(for: request.owner)
        if spec.algorithm == .x25519 { return try setUpX25519(request, spec, policies: policies) }
        return try card {
            func made(_ serial: UInt32, _ slot: PIVSlot, _ key: PIVP256Recipient) throws -> RecipientSetup {
                try setup(serial: serial, slot: slot, pubkey: spec.recipientType.recipient(point: key.compressedPoint).description, policies: policies)
            }
            if let slot = spec.slot, let (serial, key) = try existingKey(serial: spec.serial, slot: slot) {
                return try made(serial, slot, key)
            }
            var pin = try request.interaction.secret(.pin(prompt: "Enter the PIN of the YubiKey\(spec.serial.map { " \($0)" } ?? "") (to create keyrack's key for \(request.owner)): "))
            defer { wipe(&pin) }
            let touch: TouchNotifier = { serial in request.interaction.notice(.touch(serial: serial)) }
            let new = try YubiKeyRecipientSource.setup(serial: spec.serial, slot: spec.slot, pinPolicy: policies.pin, touchPolicy: policies.touch,
                                                       pin: pin, name: "keyrack \(request.owner.value)", touchNotifier: touch)
            return try made(new.serial, new.slot, new.recipient)
        }
    }

    /// The setup of a key in `slot`: the manifest records the slot and its policies, the
    /// recipients file where the identity is.
    func setup(serial: UInt32, slot: PIVSlot, pubkey: String, policies: (pin: PINPolicy, touch: TouchPolicy)) -> RecipientSetup {
        RecipientSetup(pubkey: pubkey,
                       location: RecipientLocation(label: RecipientLabel.primary, via: .yubikey, pubkey: pubkey, identity: .card(serial: serial, slot: slot)),
                       yubikey: YubiKeySlot(serial: serial, slot: slot.description, pinPolicy: policies.pin.description, touchPolicy: policies.touch.description))
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
        let (serial, slot) = try recordedCard(record)
        guard let recipient = try? YubiKeyRecipientType.parse(record.pubkey).key else {
            throw KeyrackError.usage("recipient \(record.label) is not a YubiKey key")
        }
        let identity = try YubiKeyRecipientSource.identity(
            serial: serial, slot: slot, recipient: recipient,
            pinProvider: { request in try interaction.secret(.pin(prompt: request.prompt)) },
            touchNotifier: { serial in interaction.notice(.touch(serial: serial)) })
        return CardErrors(identity)
    }

    /// The card identity of an `AGE-PLUGIN-YUBIKEY-1…` line (the file age-plugin-yubikey and
    /// `keyrack yubikey setup` print), for `--identity FILE`: PIN and touch go through `interaction`.
    static func identity(stub: YubiKeyStub, interaction: Interaction) -> any Identity {
        CardErrors(YubiKeyIdentity(stub: stub, pinProvider: { request in try interaction.secret(.pin(prompt: request.prompt)) },
                                   touchNotifier: { serial in interaction.notice(.touch(serial: serial)) }))
    }

    /// The card and slot the recipients file records for `record`, in either key form.
    func recordedCard(_ record: RecipientLocation) throws -> (serial: UInt32, slot: PIVSlot) {
        guard let card = record.card else {
            throw KeyrackError(.wrongIdentity, "no YubiKey serial and slot are recorded for recipient \(record.label) (\(record.pubkey.prefix(24))…)")
        }
        return card
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
