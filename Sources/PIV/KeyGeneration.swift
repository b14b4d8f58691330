/// What `generateIdentityKey` made.
public struct GeneratedKey: Sendable {
    public var serial: UInt32
    public var slot: PIVSlot
    /// Uncompressed P-256 point.
    public var publicKey: [UInt8]
    public var pinPolicy: PINPolicy
    public var touchPolicy: TouchPolicy
    public var certificate: SlotCertificate
    public var managementKey: ManagementKeyOutcome
}

/// Which factory secrets a card still has (firmware ≥ 5.3 says; nil = cannot tell).
public struct FactoryDefaults: Sendable, Equatable {
    public var pin: Bool?
    public var puk: Bool?
    public var managementKey: Bool?

    public init(pin: Bool? = nil, puk: Bool? = nil, managementKey: Bool? = nil) {
        (self.pin, self.puk, self.managementKey) = (pin, puk, managementKey)
    }
}

extension PIVCard {
    /// Which of PIN, PUK and management key still have their factory values.
    public func factoryDefaults() throws -> FactoryDefaults {
        FactoryDefaults(pin: try isFactoryDefault(reference: 0x80), puk: try isFactoryDefault(reference: 0x81),
                        managementKey: try managementKeyInfo()?.isDefault)
    }

    /// Makes an age identity key in `slot` (or the first free retired slot) the way
    /// age-plugin-yubikey `--generate` does: verify the PIN, authenticate with the PIN-protected
    /// management key (replacing a factory one), generate P-256 with the policies, and store a
    /// self-signed certificate — signed by the new key on the card — naming the policies.
    public func generateIdentityKey(slot requested: PIVSlot?, pinPolicy: PINPolicy, touchPolicy: TouchPolicy,
                                    pin: [UInt8], name: ((_ publicKey: [UInt8]) -> String), tool: String,
                                    touchWait: (() -> Void)? = nil) throws -> GeneratedKey {
        // 9a (PIV authentication) too: a TLS client key for an OpenBao `cert` login.
        let slot = try freeSlot(requested, allowLoginSlot: true)
        try verifyPIN(pin)
        let outcome = try authenticateAsAdministrator()
        let point = try generateP256(slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy)
        let certificate = try SlotCertificate.make(
            publicKey: point, pinPolicy: pinPolicy, touchPolicy: touchPolicy, name: name(point), tool: tool,
            sign: { digest in
                // PIN policy `always` wants a VERIFY right before the operation.
                if pinPolicy == .always { try self.verifyPIN(pin) }
                return try self.sign(slot: slot, digest: digest, policies: (pinPolicy, touchPolicy), touchWait: touchWait)
            })
        try writeCertificate(certificate.der, slot: slot)
        return GeneratedKey(serial: serial, slot: slot, publicKey: point, pinPolicy: pinPolicy, touchPolicy: touchPolicy,
                            certificate: certificate, managementKey: outcome)
    }

    /// Replaces the management key with a fresh random one of `algorithm` (default: keep the
    /// card's kind), stored PIN-protected. The PIN must be verified first.
    /// Returns the new key's algorithm; the key itself only ever lives on the card and in PRINTED.
    public func rotateManagementKey(algorithm: UInt8? = nil) throws -> UInt8 {
        let current = try managementKeyInfo()?.algorithm ?? PIVAlgorithm.tdes
        _ = try authenticateAsAdministrator()
        var fresh = try ManagementKey.random(algorithm: algorithm ?? current)
        defer { fresh.wipeBytes() }
        try setManagementKey(fresh)
        try storeProtectedManagementKey(fresh)
        return fresh.algorithm
    }
}

extension PIVCard {
    /// The slot a new key goes to: `requested` when it is a free retired slot (or 9a, when
    /// `allowLoginSlot`), else the first free retired slot.
    func freeSlot(_ requested: PIVSlot?, allowLoginSlot: Bool = false) throws -> PIVSlot {
        guard let requested else { return try firstFreeRetiredSlot() }
        guard requested.isRetired || (allowLoginSlot && requested.rawValue == 0x9A) else {
            throw PIVError.invalidSlot("slot \(requested) is not a retired slot: use 82–95 (or 1–20)\(allowLoginSlot ? ", or 9a for a login key" : "")")
        }
        if try slotInfo(requested) != nil { throw PIVError.slotInUse(serial: serial, slot: requested.rawValue) }
        return requested
    }
}
