// X25519 keys in PIV slots (YubiKey firmware 5.7+). libykpiv 2.2.0 knows neither the algorithm
// nor its replies, so both commands go through its raw transfer call, as the AES management
// keys do: GENERATE with algorithm E1 (the reply's tag 86 is the 32-byte public key), and
// GENERAL AUTHENTICATE with P1 E1 and the peer's 32-byte public key in tag 85 (the reply's tag 82
// is the 32-byte X25519 shared secret). Encodings as Yubico's yubikit (piv.py) sends them.

extension PIVAlgorithm {
    /// Firmware 5.7+.
    public static let ed25519: UInt8 = 0xE0
    public static let x25519: UInt8 = 0xE1
}

extension FirmwareVersion {
    /// Ed25519 and X25519 slot keys exist from 5.7.
    public var hasCurve25519: Bool { self >= FirmwareVersion(5, 7, 0) }
}

extension PIVCard {
    /// GENERATE ASYMMETRIC KEY PAIR (X25519) with the given policies. Needs management-key
    /// authentication. Returns the 32-byte public key.
    public func generateX25519(slot: PIVSlot, pinPolicy: PINPolicy, touchPolicy: TouchPolicy) throws -> [UInt8] {
        guard version.hasCurve25519 else { throw PIVError.needsFirmware(serial: serial, version: version, feature: "X25519 keys") }
        var template = TLV.encode(0x80, [PIVAlgorithm.x25519])
        if pinPolicy.rawValue != 0 { template += TLV.encode(0xAA, [pinPolicy.rawValue]) }
        if touchPolicy.rawValue != 0 { template += TLV.encode(0xAB, [touchPolicy.rawValue]) }
        let (data, sw) = try transmit(0x47, 0x00, slot.rawValue, TLV.encode(0xAC, template), operation: "GENERATE X25519")
        switch sw {
        case .ok: break
        case .securityStatusNotSatisfied: throw PIVError.managementKeyAuthenticationFailed(serial: serial)
        default: throw PIVError.cardError(operation: "GENERATE X25519 in slot \(slot)", status: sw.rawValue)
        }
        guard let template = try TLV.find(0x7F49, in: data), let key = try TLV.find(0x86, in: template), key.count == 32 else {
            throw PIVError.malformedResponse("GENERATE X25519 returned no 32-byte public key")
        }
        return key
    }

    /// The X25519 public key in `slot` and its policies (metadata; no PIN, no touch).
    public func x25519Key(_ slot: PIVSlot) throws -> PIVSlotInfo {
        guard version.hasCurve25519 else { throw PIVError.needsFirmware(serial: serial, version: version, feature: "X25519 keys") }
        guard let meta = try metadata(slot: slot) else { throw PIVError.slotEmpty(serial: serial, slot: slot.rawValue) }
        guard meta.algorithm == PIVAlgorithm.x25519, let key = meta.publicKey, key.count == 32 else {
            throw PIVError.unsupportedKey(slot: slot.rawValue, algorithm: meta.algorithm)
        }
        return PIVSlotInfo(slot: slot, algorithm: meta.algorithm, publicKey: key, pinPolicy: meta.pinPolicy,
                           touchPolicy: meta.touchPolicy, hasCertificate: false, isAgeIdentity: false)
    }

    /// X25519 with the key in `slot`: `peer` is the other party's 32-byte public key, the result
    /// the 32-byte shared secret. PIN, touch and the touch notice as for `ecdh`.
    public func x25519(slot: PIVSlot, peer: [UInt8], policies: (PINPolicy?, TouchPolicy?) = (nil, nil),
                       touchWait: (() -> Void)? = nil) throws -> [UInt8] {
        guard peer.count == 32 else { throw PIVError.malformedResponse("an X25519 peer key is 32 bytes, not \(peer.count)") }
        let request = TLV.encode(0x7C, [0x82, 0x00] + TLV.encode(0x85, peer))
        let reply = try privateKeyOperation(request, algorithm: PIVAlgorithm.x25519, slot: slot, name: "X25519",
                                            policies: policies, touchWait: touchWait)
        guard reply.count == 32 else { throw PIVError.malformedResponse("X25519 returned \(reply.count) bytes, want 32") }
        return reply
    }
}

/// What `generateX25519IdentityKey` made.
public struct GeneratedX25519Key: Sendable {
    public var serial: UInt32
    public var slot: PIVSlot
    /// The 32-byte X25519 public key.
    public var publicKey: [UInt8]
    public var managementKey: ManagementKeyOutcome
}

extension PIVCard {
    /// Makes an X25519 key for age in `slot` (or the first free retired slot): verify the PIN,
    /// authenticate with the PIN-protected management key (replacing a factory one, as for P-256
    /// keys), generate with the policies. No certificate: the card cannot sign with an X25519
    /// key, and firmware 5.7 answers GET METADATA for every slot, which is how keyrack finds it.
    public func generateX25519IdentityKey(slot requested: PIVSlot?, pinPolicy: PINPolicy, touchPolicy: TouchPolicy,
                                          pin: [UInt8]) throws -> GeneratedX25519Key {
        guard version.hasCurve25519 else { throw PIVError.needsFirmware(serial: serial, version: version, feature: "X25519 keys") }
        let slot = try freeSlot(requested)
        try verifyPIN(pin)
        let outcome = try authenticateAsAdministrator()
        let key = try generateX25519(slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy)
        return GeneratedX25519Key(serial: serial, slot: slot, publicKey: key, managementKey: outcome)
    }
}
