import AgeYubiKey
import PIV

/// `keyrack yubikey setup` (a retired slot): a new age identity on the card, its recipient in the
/// form asked for, its identity file written exclusively to `output` when given, and the lines
/// to say about the card's factory secrets.
public enum CardIdentitySetup {
    public struct Made {
        public var setup: YubiKeySetup
        public var recipient: String
        public var identityFile: String
        /// What to tell a person about the card (factory secrets left, the management key replaced).
        public var notes: [CardSetupNote]
    }

    public static func run(serial: UInt32?, slot: PIVSlot?, pinPolicy: PINPolicy, touchPolicy: TouchPolicy,
                           recipientType: YubiKeyRecipientType, pin: [UInt8], name: String?, output: String?) throws -> Made {
        let setup = try YubiKeyRecipientSource.setup(serial: serial, slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy,
                                                     pin: pin, name: name, touchNotifier: YubiKeyPrompts.touch)
        let (recipient, identityFile) = try presented(setup.identityFile, recipient: setup.recipient.string,
                                                      point: setup.recipient.compressedPoint, as: recipientType)
        if let output { try NewFile.create(output, identityFile) }
        return Made(setup: setup, recipient: recipient, identityFile: identityFile,
                    notes: CardSetupNote.notes(setup.factoryDefaults, replacedManagementKey: setup.managementKey == .replacedFactoryDefault))
    }

    /// The recipient of the slot's key `point` in `type`'s form, and the identity file (which
    /// names the key's default recipient string) naming that form instead.
    public static func presented(_ identityFile: String, recipient: String, point: [UInt8],
                                 as type: YubiKeyRecipientType) throws -> (recipient: String, identityFile: String) {
        let shown = try type.recipient(point: point).description
        return (shown, identityFile.replacingOccurrences(of: recipient, with: shown))
    }
}
