import PIV
import SecretBytes

/// The PIN rule every card identity follows: ask (through `provider`) and verify only when the
/// slot's policy needs it and the card session is not verified already; never retry a wrong PIN.
/// An unknown policy (no metadata, a foreign certificate) is treated as "ask". Public: an
/// OpenBao cert login and a card-signed JWT follow the same rule for their one signature.
public enum CardPIN {
    public static func satisfy(on card: PIVCard, slot: PIVSlot, policy: PINPolicy?, provider: PINProvider?) throws {
        switch policy {
        case .never?:
            return
        case .once?, nil:
            if try card.isPINVerified() { return }
        case .always?:
            break
        }
        let tries = try card.pinTriesLeft()
        if tries == 0 { throw PIVError.pinBlocked }
        guard let provider, var pin = try provider(PINRequest(serial: card.serial, slot: slot, triesLeft: tries)) else {
            throw PIVError.pinRequired(serial: card.serial)
        }
        defer { wipe(&pin) }
        try card.verifyPIN(pin)
    }
}
