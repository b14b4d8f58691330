// GET DATA / PUT DATA: certificates, CHUID, CCC, PRINTED (Yubico's PIN-protected management
// key), ADMIN DATA and friends. Objects are opaque bytes to the card; only the read rule
// (free or PIN) and the size limit are enforced.

extension PIVApplet {
    /// Objects readable only after VERIFY; checked before revealing whether they exist.
    static let pinProtectedObjects: Set<UInt32> = [0x5FC103, 0x5FC108, 0x5FC109, 0x5FC121, 0x5FC123]
    static let maxObjectSize = 3072

    /// The discovery object (tag 7E): PIV AID and PIN usage policy "PIV PIN only".
    static let discoveryObject: [UInt8] = [0x7E, 0x12, 0x4F, 0x0B, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10,
                                           0x00, 0x01, 0x00, 0x5F, 0x2F, 0x02, 0x40, 0x00]

    func getData(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p1 == 0x3F, c.p2 == 0xFF else { throw StatusWord.incorrectP1P2 }
        let id = try PIVApplet.objectID(c.data)
        if id == 0x7E { return PIVApplet.discoveryObject }
        if PIVApplet.pinProtectedObjects.contains(id), !session.pinVerified { throw StatusWord.securityStatusNotSatisfied }
        guard let value = state.object(id) else { throw StatusWord.notFound }
        return TLV(0x53, value).encoded
    }

    func putData(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p1 == 0x3F, c.p2 == 0xFF else { throw StatusWord.incorrectP1P2 }
        try requireManagementAuthenticated()
        let items: [TLV]
        do { items = try BERTLV.parse(c.data) } catch { throw StatusWord.incorrectData }
        guard items.count == 2, items[0].tag == 0x5C, items[1].tag == 0x53 else { throw StatusWord.incorrectData }
        let id = try PIVApplet.objectID(TLV(0x5C, items[0].value).encoded)
        guard id != 0x7E else { throw StatusWord.incorrectData }
        let value = items[1].value
        guard value.count <= PIVApplet.maxObjectSize else { throw StatusWord.notEnoughMemory }
        update {
            if value.isEmpty { $0.objects[CardState.objectKey(id)] = nil }
            else { $0.objects[CardState.objectKey(id)] = value.hexString }
        }
        return []
    }

    /// Parses the tag list `5C <len> <id>`: 1 byte (7E), 2 bytes (7F61) or 3 bytes (5FCxxx, 5FFFxx).
    static func objectID(_ data: [UInt8]) throws -> UInt32 {
        let items: [TLV]
        do { items = try BERTLV.parse(data) } catch { throw StatusWord.incorrectData }
        guard items.count == 1, items[0].tag == 0x5C, (1...3).contains(items[0].value.count) else {
            throw StatusWord.incorrectData
        }
        let id = items[0].value.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        switch items[0].value.count {
        case 1: guard id == 0x7E else { throw StatusWord.incorrectData }
        case 2: guard id == 0x7F61 else { throw StatusWord.incorrectData }
        default: guard id >> 16 == 0x5F else { throw StatusWord.incorrectData }
        }
        return id
    }
}

enum Objects {
    /// A certificate object's contents as libykpiv writes them: `70 cert 71 01 00 FE 00`.
    static func certificateContainer(_ der: [UInt8]) -> [UInt8] {
        TLV(0x70, der).encoded + TLV(0x71, [0x00]).encoded + TLV(0xFE, []).encoded
    }
}
