import PIV
import SecretBytes

/// `keyrack yubikey change-management-key`: the card's management key replaced by a random one
/// stored PIN-protected on the card (the convention ykman, yubikey-agent and age-plugin-yubikey
/// share, so they keep working with the card). The key itself never leaves the card.
public enum ManagementKeyRotation {
    /// The kinds of management key a card takes (AES needs firmware 5.4+).
    public enum Algorithm: String, CaseIterable, Sendable {
        case tdes, aes128, aes192, aes256

        var piv: UInt8 {
            switch self {
            case .tdes: PIVAlgorithm.tdes
            case .aes128: PIVAlgorithm.aes128
            case .aes192: PIVAlgorithm.aes192
            case .aes256: PIVAlgorithm.aes256
            }
        }
    }

    public struct Result: Equatable, Sendable {
        public var serial: UInt32
        /// The new key's kind as people name it (TDES, AES-256…).
        public var algorithm: String
    }

    /// Opens the card (`serial`, or the only one), verifies the PIN `pin` gives for its serial,
    /// and rotates the key to `algorithm` (nil: the card's current kind).
    public static func run(serial: UInt32?, algorithm: Algorithm?, pin: (UInt32) throws -> [UInt8]) throws -> Result {
        let card = try PIVCards.open(serial: serial)
        defer { card.close() }
        var given = try pin(card.serial)
        defer { wipe(&given) }
        try card.verifyPIN(given)
        let made = try card.rotateManagementKey(algorithm: algorithm?.piv)
        return Result(serial: card.serial, algorithm: ManagementKey.name(made))
    }
}
