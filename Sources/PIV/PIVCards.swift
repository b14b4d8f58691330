/// What one slot holds, from GET METADATA and/or the slot certificate.
public struct PIVSlotInfo: Sendable, Equatable {
    public var slot: PIVSlot
    /// PIV algorithm id (0x11 = P-256), or nil when only a non-key certificate is there.
    public var algorithm: UInt8?
    /// The uncompressed P-256 point, when the slot holds a P-256 key; the 32-byte public key of
    /// an X25519 one (firmware 5.7+).
    public var publicKey: [UInt8]?
    /// Effective policies (metadata), else the ones in the certificate extension, else unknown.
    public var pinPolicy: PINPolicy?
    public var touchPolicy: TouchPolicy?
    public var hasCertificate: Bool
    /// The certificate's CN (age-plugin-yubikey and keyrack store the identity's name there).
    public var name: String?
    /// Made by age-plugin-yubikey or keyrack (certificate subject O=age-plugin-yubikey).
    public var isAgeIdentity: Bool
}

/// One card as `keyrack yubikey list` shows it.
public struct PIVCardSummary: Sendable {
    public var reader: String
    public var serial: UInt32
    public var version: FirmwareVersion
    public var slots: [PIVSlotInfo]
}

extension PIVCard {
    /// Everything we can learn about `slot` without a PIN: metadata on firmware ≥ 5.3, the slot
    /// certificate always (it carries the name and, on older firmware, the policies). Nil when
    /// the slot holds neither a key nor a certificate.
    public func slotInfo(_ slot: PIVSlot) throws -> PIVSlotInfo? {
        var info = PIVSlotInfo(slot: slot, hasCertificate: false, isAgeIdentity: false)
        var found = false
        if version.hasMetadata, let meta = try metadata(slot: slot) {
            found = true
            info.algorithm = meta.algorithm
            info.pinPolicy = meta.pinPolicy
            info.touchPolicy = meta.touchPolicy
            if meta.algorithm == PIVAlgorithm.eccP256 || meta.algorithm == PIVAlgorithm.x25519 { info.publicKey = meta.publicKey }
        }
        if let der = try certificate(slot: slot) {
            found = true
            info.hasCertificate = true
            if let cert = try? SlotCertificate(der: der) {
                info.name = cert.commonName
                info.isAgeIdentity = cert.isAgePluginYubiKey
                if !version.hasMetadata {
                    info.publicKey = cert.publicKey
                    info.algorithm = cert.publicKey == nil ? nil : PIVAlgorithm.eccP256
                    if cert.isAgePluginYubiKey {
                        info.pinPolicy = cert.pinPolicy
                        info.touchPolicy = cert.touchPolicy
                    }
                }
            }
        }
        return found ? info : nil
    }

    /// The P-256 public key of `slot` (uncompressed), with its policies when known.
    public func p256Key(_ slot: PIVSlot) throws -> PIVSlotInfo {
        // Metadata alone answers on firmware ≥ 5.3: skip the certificate (several APDUs) on the
        // unlock path.
        if version.hasMetadata, let meta = try metadata(slot: slot), meta.algorithm == PIVAlgorithm.eccP256, let point = meta.publicKey {
            return PIVSlotInfo(slot: slot, algorithm: meta.algorithm, publicKey: point, pinPolicy: meta.pinPolicy,
                               touchPolicy: meta.touchPolicy, hasCertificate: false, isAgeIdentity: false)
        }
        guard let info = try slotInfo(slot), info.algorithm != nil || info.publicKey != nil else {
            throw PIVError.slotEmpty(serial: serial, slot: slot.rawValue)
        }
        guard info.algorithm == PIVAlgorithm.eccP256, info.publicKey != nil else {
            throw PIVError.unsupportedKey(slot: slot.rawValue, algorithm: info.algorithm ?? 0)
        }
        return info
    }

    /// Used slots among the retired ones and the four standard ones.
    public func usedSlots() throws -> [PIVSlotInfo] {
        try (PIVSlot.standard + PIVSlot.retired).compactMap { try slotInfo($0) }
    }

    /// The first retired slot with neither a key nor a certificate.
    public func firstFreeRetiredSlot() throws -> PIVSlot {
        for slot in PIVSlot.retired where try slotInfo(slot) == nil { return slot }
        throw PIVError.noFreeSlot(serial: serial)
    }
}

/// The cards plugged into this machine.
public enum PIVCards {
    /// Opens every card present, in reader order, calling `body` with each. Cards held
    /// exclusively by another program are skipped, but reported if nothing else was found.
    static func forEachCard(_ body: (PIVCard) throws -> Bool) throws {
        let context = try PCSCContext()
        var busy: PIVError?
        for reader in try context.readers() where context.cardPresent(in: reader) {
            let card: PIVCard
            do { card = try PIVCard(reader: reader, context: context) } catch let e as PIVError {
                switch e {
                case .cardBusy: busy = busy ?? e; continue
                // A card that vanished between the presence check and the connection, or whose
                // reader failed mid-SELECT, is simply not there.
                case .notPIV, .cardRemoved, .pcsc: continue
                default: throw e
                }
            }
            if try !body(card) { return }
        }
        if let busy { throw busy }
    }

    /// Reader and serial of every card present.
    public static func serials() throws -> [(reader: String, serial: UInt32)] {
        var out: [(String, UInt32)] = []
        try forEachCard { card in
            out.append((card.reader, card.serial))
            card.close()
            return true
        }
        return out
    }

    /// Every card with its used slots.
    public static func list() throws -> [PIVCardSummary] {
        var out: [PIVCardSummary] = []
        do {
            try forEachCard { card in
                defer { card.close() }
                out.append(PIVCardSummary(reader: card.reader, serial: card.serial, version: card.version, slots: try card.usedSlots()))
                return true
            }
        } catch PIVError.cardBusy(let reader) where !out.isEmpty {
            _ = reader  // others were listed; the busy one is simply not shown
        }
        return out
    }

    /// Opens the card with `serial`, or the only card when `serial` is nil. Never guesses: with
    /// several cards and no serial it refuses and names them.
    public static func open(serial: UInt32?) throws -> PIVCard {
        var found: PIVCard?
        var seen: [UInt32] = []
        var busy: PIVError?
        do {
            try forEachCard { card in
                seen.append(card.serial)
                if let serial, card.serial != serial { card.close(); return true }
                if found == nil { found = card } else { card.close() }
                return true
            }
        } catch let e as PIVError {
            if case .cardBusy = e { busy = e } else { throw e }
        }
        if serial == nil, seen.count > 1 {
            found?.close()
            throw PIVError.multipleCards(serials: seen)
        }
        if let found { return found }
        if let busy { throw busy }
        if let serial { throw PIVError.cardNotFound(serial: serial, available: seen) }
        throw PIVError.noCard
    }
}
