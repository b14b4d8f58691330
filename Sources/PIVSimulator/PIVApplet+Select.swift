// SELECT and GET METADATA: what a client reads to learn which card it holds before doing
// anything that needs a secret.

extension PIVApplet {
    static let pivAID: [UInt8] = [0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00]
    static let managementAID: [UInt8] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17]
    /// The OTP application: libykpiv selects it with a trailing 01, yubikit without.
    static let otpAID: [UInt8] = [0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01]

    /// Application property template as a YubiKey 5 returns it (PIX + RID authority).
    static let applicationPropertyTemplate: [UInt8] = [0x61, 0x11, 0x4F, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
                                                       0x79, 0x07, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08]

    func select(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p1 == 0x04 else { throw StatusWord.incorrectP1P2 }
        let aid = c.data
        // A truncated PIV AID (≥ the 5-byte RID) selects PIV, as clients send anything from the RID to the full AID.
        if aid.count >= 5, aid.count <= PIVApplet.pivAID.count, Array(PIVApplet.pivAID.prefix(aid.count)) == aid {
            // Re-selecting PIV keeps the security state; arriving from elsewhere starts a session.
            if session.selected != .piv { session.dropSecurity() }
            session.selected = .piv
            return PIVApplet.applicationPropertyTemplate
        }
        if aid == PIVApplet.managementAID {
            session.dropSecurity()
            session.selected = .management
            return selectManagement()
        }
        if aid == PIVApplet.otpAID || aid == PIVApplet.otpAID + [0x01] {
            session.dropSecurity()
            session.selected = .otp
            return otpStatus()
        }
        // Other applications of a YubiKey 5 (OATH, OpenPGP, FIDO, HSM Auth) are not simulated.
        throw StatusWord.notFound
    }

    // MARK: GET METADATA (Yubico, firmware 5.3+)

    func getMetadata(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p1 == 0 else { throw StatusWord.incorrectP1P2 }
        switch c.p2 {
        case 0x80: return secretMetadata(state.pin, isDefault: state.pin.bytes == CardState.defaultPIN)
        case 0x81: return secretMetadata(state.puk, isDefault: state.puk.bytes == CardState.defaultPUK)
        case 0x9B:
            let mk = state.managementKey
            let isDefault = mk.bytes == CardState.defaultTDESKey
            return TLV(0x01, [mk.algorithm]).encoded + TLV(0x02, [0x00, mk.touch]).encoded
                + TLV(0x05, [isDefault ? 1 : 0]).encoded
        default:
            // 96 is a YubiKey Bio's fingerprint reference: ykman asks for it to tell a Bio apart.
            if c.p2 == 0x96 { throw StatusWord.referenceNotFound }
            guard PIVApplet.isKeySlot(c.p2) || c.p2 == 0xF9 else { throw StatusWord.wrongP1P2 }
            guard let key = state.key(in: c.p2) else { throw StatusWord.referenceNotFound }
            let point = try SlotCrypto.publicPoint(of: key)
            return TLV(0x01, [key.algorithm]).encoded
                + TLV(0x02, [PIVApplet.effectivePINPolicy(key, slot: c.p2),
                             PIVApplet.effectiveTouchPolicy(key)]).encoded
                + TLV(0x03, [key.origin]).encoded
                + TLV(0x04, TLV(0x86, point).encoded).encoded
        }
    }

    private func secretMetadata(_ s: SecretReference, isDefault: Bool) -> [UInt8] {
        TLV(0x01, [0xFF]).encoded + TLV(0x05, [isDefault ? 1 : 0]).encoded
            + TLV(0x06, [UInt8(clamping: s.maxRetries), UInt8(clamping: max(s.remaining, 0))]).encoded
    }

    // MARK: Slots and policies

    /// Key slots a client may generate into or use: 9A 9C 9D 9E and the retired 82–95.
    static func isKeySlot(_ slot: UInt8) -> Bool {
        [0x9A, 0x9C, 0x9D, 0x9E].contains(slot) || (0x82...0x95).contains(slot)
    }

    /// The policy a slot enforces when its key was made with "default" (Yubico's table).
    static func effectivePINPolicy(_ key: SlotKey, slot: UInt8) -> UInt8 {
        if key.pinPolicy != PINPolicy.default { return key.pinPolicy }
        switch slot {
        case 0x9C: return PINPolicy.always
        case 0x9E, 0xF9: return PINPolicy.never
        default: return PINPolicy.once
        }
    }

    static func effectiveTouchPolicy(_ key: SlotKey) -> UInt8 {
        key.touchPolicy == TouchPolicy.default ? TouchPolicy.never : key.touchPolicy
    }
}
