import Crypto
import Foundation
import SwiftASN1
import X509

/// The self-signed certificate age-plugin-yubikey stores beside a key it generates, and which we
/// write the same way so either tool recognises the other's slots: subject
/// `O=age-plugin-yubikey, OU=<tool>, CN=<name>`, signed by the slot key itself, carrying the PIN
/// and touch policies in Yubico's extension 1.3.6.1.4.1.41482.3.8 (two raw bytes, as in Yubico
/// attestation certificates). Readers use the policies to know whether to ask for a PIN on
/// firmware without GET METADATA.
public struct SlotCertificate: Sendable {
    public static let policyExtensionOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 41482, 3, 8]
    public static let organization = "age-plugin-yubikey"

    public let der: [UInt8]
    /// The uncompressed P-256 point of the certified key, or nil for other key types.
    public let publicKey: [UInt8]?
    public let pinPolicy: PINPolicy?
    public let touchPolicy: TouchPolicy?
    public let commonName: String?
    /// Whether the subject says age-plugin-yubikey made it (keyrack writes the same subject).
    public let isAgePluginYubiKey: Bool

    public init(der: [UInt8]) throws {
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: der) } catch {
            throw PIVError.malformedResponse("the slot certificate does not parse as X.509")
        }
        self.der = der
        publicKey = P256.Signing.PublicKey(certificate.publicKey).map { [UInt8]($0.x963Representation) }
        if let ext = certificate.extensions[oid: SlotCertificate.policyExtensionOID], ext.value.count == 2 {
            pinPolicy = PINPolicy(rawValue: ext.value[ext.value.startIndex])
            touchPolicy = TouchPolicy(rawValue: ext.value[ext.value.startIndex + 1])
        } else {
            pinPolicy = nil
            touchPolicy = nil
        }
        var organization: String?, common: String?
        for rdn in certificate.subject {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.organizationName { organization = attribute.value.description }
                if attribute.type == .RDNAttributeType.commonName { common = attribute.value.description }
            }
        }
        commonName = common
        isAgePluginYubiKey = organization == SlotCertificate.organization
    }

    /// Builds and signs the certificate for a fresh key. `sign` receives the SHA-256 digest of the
    /// TBSCertificate and returns a DER ECDSA signature — made by the card, so the key never leaves it.
    public static func make(publicKey: [UInt8], pinPolicy: PINPolicy, touchPolicy: TouchPolicy, name: String,
                            tool: String, sign: @escaping ([UInt8]) throws -> [UInt8]) throws -> SlotCertificate {
        let key = try P256.Signing.PublicKey(x963Representation: publicKey)
        let subject = try DistinguishedName {
            OrganizationName(organization)
            OrganizationalUnitName(tool)
            CommonName(name)
        }
        var serial = [UInt8]((0..<20).map { _ in UInt8.random(in: 0...255) })
        serial[0] &= 0x7F  // a positive INTEGER
        if serial[0] == 0 { serial[0] = 1 }
        let signer = CardSigner(publicKey: Certificate.PublicKey(key), sign: sign)
        let extensions = try Certificate.Extensions {
            Certificate.Extension(oid: policyExtensionOID, critical: false, value: [pinPolicy.rawValue, touchPolicy.rawValue][...])
        }
        // Not before: now, to the second. Not after: the "no well-defined expiration" value of
        // RFC 5280 §4.1.2.5, which the certificate library encodes as GeneralizedTime.
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let never = Date(timeIntervalSince1970: 253_402_300_799)  // 9999-12-31T23:59:59Z
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: serial), publicKey: Certificate.PublicKey(key),
            notValidBefore: now, notValidAfter: never, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(signer))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return try SlotCertificate(der: serializer.serializedBytes)
    }
}

/// swift-certificates' hook for a key it cannot hold: the card signs.
/// `@unchecked`: swift-certificates wants a Sendable key; `sign` is the caller's closure over an
/// open card (a libykpiv handle), called once, for the certificate being made.
struct CardSigner: CustomPrivateKey, @unchecked Sendable {
    let id = UUID()
    let publicKey: Certificate.PublicKey
    let sign: ([UInt8]) throws -> [UInt8]

    var defaultSignatureAlgorithm: Certificate.SignatureAlgorithm { .ecdsaWithSHA256 }
    var supportedSignatureAlgorithms: [Certificate.SignatureAlgorithm] { [.ecdsaWithSHA256] }
    static var defaultPEMDiscriminator: String { "CARD KEY" }

    func signSynchronously(bytes: some DataProtocol, signatureAlgorithm: Certificate.SignatureAlgorithm) throws -> Certificate.Signature {
        let digest = [UInt8](SHA256.hash(data: Array(bytes)))
        let der = try sign(digest)
        return try Certificate.Signature(signatureAlgorithm: .ecdsaWithSHA256, signatureBytes: ASN1BitString(bytes: der[...]))
    }

    func serialize(into coder: inout DER.Serializer) throws {
        throw PIVError.malformedResponse("a card-held key cannot be serialised")
    }

    static func == (a: CardSigner, b: CardSigner) -> Bool { a.id == b.id }
    func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
