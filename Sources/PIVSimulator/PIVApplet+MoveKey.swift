// Yubico MOVE KEY (INS F6, firmware 5.7+): P1 is the destination slot, P2 the source; P1 FF
// deletes the key in P2 (DELETE KEY). Needs the management key. The key keeps its algorithm,
// policies and origin; certificates are data objects and stay where they are, as on a YubiKey.
// Status words as ykman reads them: 6A88 no key in the source, 6A80 the destination is taken.

extension PIVApplet {
    func moveKey(_ c: CommandAPDU) throws -> [UInt8] {
        guard state.firmware.hasMoveKey else { throw StatusWord.insNotSupported }
        guard PIVApplet.isKeySlot(c.p2), c.p1 == 0xFF || PIVApplet.isKeySlot(c.p1) else { throw StatusWord.incorrectP1P2 }
        try requireManagementAuthenticated()
        guard let key = state.key(in: c.p2) else { throw StatusWord.referenceNotFound }
        if c.p1 == 0xFF {
            update { $0.slots[CardState.slotKey(c.p2)] = nil }
            return []
        }
        guard c.p1 != c.p2, state.key(in: c.p1) == nil else { throw StatusWord.incorrectData }
        update {
            $0.slots[CardState.slotKey(c.p1)] = key
            $0.slots[CardState.slotKey(c.p2)] = nil
        }
        return []
    }
}
