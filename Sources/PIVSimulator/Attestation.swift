// Yubico ATTEST (INS F9): an X.509 certificate for a slot's key, signed by the attestation key in
// slot F9, carrying firmware, serial and the slot's policies in Yubico's extensions
// (1.3.6.1.4.1.41482.3.x). A real YubiKey's F9 certificate chains to Yubico's CA; the simulator's
// is self-signed at card creation, which is all a client can check offline anyway.

import Crypto
import Foundation
import SwiftASN1
import X509

enum Attestation {
    static let firmwareOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 41482, 3, 3]
    static let serialOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 41482, 3, 7]
    static let policyOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 41482, 3, 8]
    static let formFactorOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 41482, 3, 9]

    /// The far-future notAfter YubiKey attestation certificates use ("no expiry").
    static let notAfter = Date(timeIntervalSince1970: 253_402_300_799)  // 9999-12-31T23:59:59Z

    /// The F9 certificate made when a card is created.
    static func selfSignedAttestationRoot(key: P256.Signing.PrivateKey, serial: UInt32) throws -> [UInt8] {
        let name = try DistinguishedName {
            OrganizationName("keyrack simulated YubiKey")
            CommonName("Yubico PIV Attestation (simulated, serial \(serial))")
        }
        let cert = try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(),
                                   publicKey: Certificate.PublicKey(key.publicKey),
                                   notValidBefore: Date(timeIntervalSinceNow: -86_400), notValidAfter: notAfter,
                                   issuer: name, subject: name,
                                   extensions: try Certificate.Extensions {
                                       Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                                   },
                                   issuerPrivateKey: Certificate.PrivateKey(key))
        return try der(cert)
    }

    /// The attestation certificate for `slot`'s key.
    static func certificate(for key: SlotKey, slot: UInt8, pinPolicy: UInt8, touchPolicy: UInt8,
                            attestationKey: SlotKey, attestationCertificate: [UInt8]?, state: CardState) throws -> [UInt8] {
        let issuerKey = try P256.Signing.PrivateKey(rawRepresentation: [UInt8](hex: attestationKey.privateKey) ?? [])
        let issuer: DistinguishedName
        if let der = attestationCertificate, let parent = try? Certificate(derEncoded: der) {
            issuer = parent.subject
        } else {
            issuer = try DistinguishedName { CommonName("Yubico PIV Attestation") }
        }
        let subject = try DistinguishedName { CommonName("YubiKey PIV Attestation \([slot].hexString)") }
        let point = try SlotCrypto.publicPoint(of: key)
        let publicKey: Certificate.PublicKey
        switch key.algorithm {
        case PIVAlgorithm.eccP256: publicKey = Certificate.PublicKey(try P256.Signing.PublicKey(x963Representation: point))
        case PIVAlgorithm.eccP384: publicKey = Certificate.PublicKey(try P384.Signing.PublicKey(x963Representation: point))
        // X25519 is written as Ed25519 first (swift-certificates has no X25519 keys), then fixed below.
        case PIVAlgorithm.ed25519, PIVAlgorithm.x25519:
            publicKey = Certificate.PublicKey(try Curve25519.Signing.PublicKey(rawRepresentation: point))
        default: throw StatusWord.incorrectData
        }
        var serialDER = DER.Serializer()
        try serialDER.serialize(Int(state.serial))
        let extensions = try Certificate.Extensions([
            Certificate.Extension(oid: firmwareOID, critical: false, value: try octetString(state.version)),
            Certificate.Extension(oid: serialOID, critical: false, value: try octetString(serialDER.serializedBytes)),
            Certificate.Extension(oid: policyOID, critical: false, value: try octetString([pinPolicy, touchPolicy])),
            Certificate.Extension(oid: formFactorOID, critical: false, value: try octetString([0x01])),
        ])
        let cert = try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                                   notValidBefore: Date(timeIntervalSinceNow: -60), notValidAfter: notAfter,
                                   issuer: issuer, subject: subject, extensions: extensions,
                                   issuerPrivateKey: Certificate.PrivateKey(issuerKey))
        let encoded = try der(cert)
        return key.algorithm == PIVAlgorithm.x25519 ? try asX25519(encoded, point: point, issuerKey: issuerKey) : encoded
    }

    /// Rewrites the subject key's algorithm from Ed25519 (1.3.101.112) to X25519 (1.3.101.110)
    /// and signs the changed TBSCertificate again with the attestation key.
    static func asX25519(_ der: [UInt8], point: [UInt8], issuerKey: P256.Signing.PrivateKey) throws -> [UInt8] {
        let ed25519SPKI: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + point
        var x25519SPKI = ed25519SPKI
        x25519SPKI[8] = 0x6E
        guard let outer = try? BERTLV.parse(der), outer.count == 1,
              let parts = try? BERTLV.parse(outer[0].value), parts.count == 3 else { throw StatusWord.incorrectData }
        var tbs = TLV(0x30, parts[0].value).encoded
        guard let at = tbs.firstRange(of: ed25519SPKI) else { throw StatusWord.incorrectData }
        tbs.replaceSubrange(at, with: x25519SPKI)
        let signature = [UInt8](try issuerKey.signature(for: tbs).derRepresentation)
        return TLV(0x30, tbs + parts[1].encoded + TLV(0x03, [0x00] + signature).encoded).encoded
    }

    /// Yubico's extension values are DER OCTET STRINGs wrapping the raw bytes.
    private static func octetString(_ bytes: [UInt8]) throws -> ArraySlice<UInt8> {
        var s = DER.Serializer()
        try s.serialize(ASN1OctetString(contentBytes: bytes[...]))
        return s.serializedBytes[...]
    }

    private static func der(_ cert: Certificate) throws -> [UInt8] {
        var s = DER.Serializer()
        try s.serialize(cert)
        return s.serializedBytes
    }
}

extension PIVApplet {
    func attest(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p2 == 0 else { throw StatusWord.incorrectP1P2 }
        guard PIVApplet.isKeySlot(c.p1) else { throw StatusWord.wrongP1P2 }
        // Only keys made on the card can be attested: an imported key's origin is unknown.
        guard let key = state.key(in: c.p1), key.origin == 1 else { throw StatusWord.referenceNotFound }
        guard let f9 = state.key(in: 0xF9), f9.algorithm == PIVAlgorithm.eccP256 else { throw StatusWord.referenceNotFound }
        var parent: [UInt8]?
        if let container = state.object(CardState.attestationObject),
           let items = try? BERTLV.parse(container), let cert = items.first(tag: 0x70) {
            parent = cert.value
        }
        do {
            return try Attestation.certificate(for: key, slot: c.p1,
                                               pinPolicy: PIVApplet.effectivePINPolicy(key, slot: c.p1),
                                               touchPolicy: PIVApplet.effectiveTouchPolicy(key),
                                               attestationKey: f9, attestationCertificate: parent, state: state)
        } catch let sw as StatusWord { throw sw } catch { throw StatusWord.incorrectData }
    }
}
