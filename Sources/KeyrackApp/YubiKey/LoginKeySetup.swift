import Foundation
import KeyrackCore
import PIV

/// `keyrack yubikey setup --slot 9a`: a P-256 login key made on the card, with a self-signed
/// certificate signed by the card, for mutual-TLS logins (OpenBao / Vault `cert` auth). The
/// certificate as PEM is what the operator trusts; the public key as PEM is what an OpenBao jwt
/// mount's `jwt_validation_pubkeys` takes for a card-signed JWT login.
public enum LoginKeySetup {
    public struct Result: Equatable {
        public var serial: UInt32
        public var slot: PIVSlot
        public var name: String
        public var certificatePEM: String
        public var publicKeyPEM: String
        /// What to tell a person about the card, as CardIdentitySetup says it.
        public var notes: [CardSetupNote]
    }

    /// Makes the key; with `output`, writes the certificate there (exclusively, 0600).
    public static func run(serial: UInt32?, pinPolicy: PINPolicy, touchPolicy: TouchPolicy, pin: [UInt8], name: String?, output: String? = nil) throws -> Result {
        let piv = try PIVCards.open(serial: serial)
        defer { piv.close() }
        let serial = piv.serial
        let label = name ?? "keyrack login \(serial)"
        let made = try piv.generateIdentityKey(slot: .authentication, pinPolicy: pinPolicy, touchPolicy: touchPolicy, pin: pin,
                                               name: { _ in label }, tool: "keyrack", touchWait: { YubiKeyPrompts.touch(serial) })
        let certificate = pem(made.certificate.der)
        if let output { try NewFile.create(output, certificate) }
        let notes = CardSetupNote.notes(try? piv.factoryDefaults(), replacedManagementKey: made.managementKey == .replacedFactoryDefault)
        return Result(serial: serial, slot: made.slot, name: label, certificatePEM: certificate,
                      publicKeyPEM: CardJWT.publicKeyPEM(point: made.publicKey) ?? "", notes: notes)
    }

    /// A certificate as PEM, 64 base64 characters a line.
    public static func pem(_ der: [UInt8]) -> String {
        let b64 = Data(der).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(b64)
        while !rest.isEmpty { lines.append(rest.prefix(64)); rest = rest.dropFirst(64) }
        return "-----BEGIN CERTIFICATE-----\n" + lines.joined(separator: "\n") + "\n-----END CERTIFICATE-----\n"
    }
}
