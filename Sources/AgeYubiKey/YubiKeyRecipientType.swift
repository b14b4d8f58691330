import AgeFormat

/// Which of the two encodings of a YubiKey's P-256 key an owner is given. Both wrap to the same
/// card key and a card identity unwraps both; the choice is who can encrypt without keyrack:
/// - `piv-p256` (`age1yubikey1…`): age-plugin-yubikey's original form. Any age ≥ 1.1 with the
///   released age-plugin-yubikey (0.5) encrypts to it and, with the card, decrypts it — so a
///   manifest stays recoverable with Debian's age 1.1.1 plus that plugin. keyrack's default.
/// - `tag` (`age1tag1…`, stanza `p256tag`): C2SP's tagged type; age ≥ 1.3 encrypts to it with
///   no plugin at all, but age 1.1/1.2 cannot, and plugins that predate it cannot decrypt it.
public enum YubiKeyRecipientType: String, CaseIterable, Sendable {
    case pivP256 = "piv-p256"
    case tag

    public static let `default` = YubiKeyRecipientType.pivP256

    /// The recipient string for a slot's public key (compressed or uncompressed point).
    public func recipient(point: [UInt8]) throws -> any Recipient & CustomStringConvertible {
        switch self {
        case .pivP256: return try PIVP256Recipient(point: point)
        case .tag: return try P256TagRecipient(point: point)
        }
    }

    /// The type of a recipient string, or nil when it is neither YubiKey form.
    public init?(recipient: String) {
        if recipient.hasPrefix(PIVP256Recipient.hrp + "1") { self = .pivP256 }
        else if recipient.hasPrefix(P256TagRecipient.hrp + "1") { self = .tag }
        else { return nil }
    }

    /// Parses either form into the key's `piv-p256` recipient (the stub's tag is computed from it).
    public static func parse(_ recipient: String) throws -> (type: YubiKeyRecipientType, key: PIVP256Recipient) {
        if recipient.hasPrefix(P256TagRecipient.hrp + "1") {
            return (.tag, try P256TagRecipient(string: recipient).pivP256)
        }
        return (.pivP256, try PIVP256Recipient(string: recipient))
    }
}
