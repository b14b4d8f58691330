// Slot keys: GENERATE ASYMMETRIC KEY PAIR, Yubico IMPORT ASYMMETRIC KEY, and GENERAL
// AUTHENTICATE with a slot key (ECDH, ECDSA, Ed25519). PIN policy is checked before touch, as a
// YubiKey does, and either failing answers 6982.

extension PIVApplet {
    func generalAuthenticate(_ c: CommandAPDU, justVerified: Bool,
                             pending: Session.PendingManagementAuth) throws -> [UInt8] {
        if c.p2 == 0x9B { return try authenticateManagement(c, pending: pending) }
        guard PIVApplet.isKeySlot(c.p2) || c.p2 == 0xF9 else { throw StatusWord.incorrectP1P2 }
        let items = try PIVApplet.dynamicTemplate(c.data)
        guard let key = state.key(in: c.p2) else { throw StatusWord.referenceNotFound }
        guard key.algorithm == c.p1 else { throw StatusWord.incorrectData }
        guard let response = items.first(tag: 0x82), response.value.isEmpty else { throw StatusWord.incorrectData }

        let input: [UInt8]
        let isECDH: Bool
        if let peer = items.first(tag: 0x85) {
            input = peer.value; isECDH = true
        } else if let challenge = items.first(tag: 0x81) {
            input = challenge.value; isECDH = false
        } else {
            throw StatusWord.incorrectData
        }
        if isECDH {
            // Reject a malformed point (or a key that cannot agree) before asking for PIN or touch.
            guard input.count == SlotCrypto.peerKeyLength(key.algorithm) else { throw StatusWord.incorrectData }
        } else if key.algorithm == PIVAlgorithm.x25519 {
            throw StatusWord.incorrectData
        }

        try requirePIN(policy: PIVApplet.effectivePINPolicy(key, slot: c.p2), justVerified: justVerified)
        try requireTouch(policy: PIVApplet.effectiveTouchPolicy(key))

        let output = isECDH ? try SlotCrypto.agree(key, peer: input) : try SlotCrypto.sign(key, message: input)
        if isECDH { update { $0.ecdhCount = ($0.ecdhCount ?? 0) + 1 } }
        return PIVApplet.template([TLV(0x82, output)])
    }

    private func requirePIN(policy: UInt8, justVerified: Bool) throws {
        switch policy {
        case PINPolicy.never: return
        case PINPolicy.always:
            guard session.pinVerified, justVerified else { throw StatusWord.securityStatusNotSatisfied }
        default:
            guard session.pinVerified else { throw StatusWord.securityStatusNotSatisfied }
        }
    }

    func generateKey(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p1 == 0 else { throw StatusWord.incorrectP1P2 }
        guard PIVApplet.isKeySlot(c.p2) || c.p2 == 0xF9 else { throw StatusWord.wrongP1P2 }
        try requireManagementAuthenticated()
        let outer = try BERTLV.parse(c.data)
        guard let ac = outer.first(tag: 0xAC) else { throw StatusWord.incorrectData }
        // Policies may sit inside the AC template (libykpiv, Yubico SDK) or after it.
        let items = try BERTLV.parse(ac.value) + outer.filter { $0.tag != 0xAC }
        guard let alg = items.first(tag: 0x80), alg.value.count == 1 else { throw StatusWord.incorrectData }
        let algorithm = alg.value[0]
        guard SlotCrypto.isSupported(algorithm, on: state.firmware) else { throw StatusWord.incorrectData }
        let (pin, touch) = try PIVApplet.policies(items)

        let scalar = try SlotCrypto.generate(algorithm)
        let key = SlotKey(algorithm: algorithm, privateKey: scalar.hexString, pinPolicy: pin, touchPolicy: touch, origin: 1)
        update { $0.slots[CardState.slotKey(c.p2)] = key }
        return TLV(0x7F49, TLV(0x86, try SlotCrypto.publicPoint(of: key)).encoded).encoded
    }

    /// Yubico IMPORT ASYMMETRIC KEY (INS FE): the private key in tag 06 (EC scalar), 07 (Ed25519)
    /// or 08 (X25519), optional AA/AB policies.
    func importKey(_ c: CommandAPDU) throws -> [UInt8] {
        guard PIVApplet.isKeySlot(c.p2) || c.p2 == 0xF9 else { throw StatusWord.wrongP1P2 }
        try requireManagementAuthenticated()
        guard SlotCrypto.isSupported(c.p1, on: state.firmware) else { throw StatusWord.incorrectData }
        let items = try BERTLV.parse(c.data)
        guard let d = items.first(tag: SlotCrypto.importTag(c.p1)) else { throw StatusWord.incorrectData }
        let scalar = try SlotCrypto.validateScalar(d.value, algorithm: c.p1)
        let (pin, touch) = try PIVApplet.policies(items)
        update {
            $0.slots[CardState.slotKey(c.p2)] = SlotKey(algorithm: c.p1, privateKey: scalar.hexString,
                                                        pinPolicy: pin, touchPolicy: touch, origin: 2)
        }
        return []
    }

    private static func policies(_ items: [TLV]) throws -> (pin: UInt8, touch: UInt8) {
        var pin = PINPolicy.default, touch = TouchPolicy.default
        if let p = items.first(tag: 0xAA) {
            guard p.value.count == 1, p.value[0] <= 3 else { throw StatusWord.incorrectData }
            pin = p.value[0]
        }
        if let t = items.first(tag: 0xAB) {
            guard t.value.count == 1, t.value[0] <= 3 else { throw StatusWord.incorrectData }
            touch = t.value[0]
        }
        return (pin, touch)
    }

    // MARK: Dynamic authentication template (tag 7C)

    static func dynamicTemplate(_ data: [UInt8]) throws -> [TLV] {
        do {
            let outer = try BERTLV.parse(data)
            guard outer.count == 1, outer[0].tag == 0x7C else { throw StatusWord.incorrectData }
            return try BERTLV.parse(outer[0].value)
        } catch let sw as StatusWord { throw sw } catch { throw StatusWord.incorrectData }
    }

    static func template(_ items: [TLV]) -> [UInt8] {
        TLV(0x7C, items.flatMap(\.encoded)).encoded
    }
}
