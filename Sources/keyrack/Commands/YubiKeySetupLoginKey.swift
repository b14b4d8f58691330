import Foundation
import PIV
import KeyrackCore

/// `keyrack yubikey setup --slot 9a`: a P-256 login key made on the card, with a self-signed
/// certificate signed by the card, for mutual-TLS logins (OpenBao / Vault `cert` auth). Prints
/// the certificate as PEM (or writes it to -o): that is what the operator trusts. The public key
/// as PEM follows it (in --json, `publicKey`): what an OpenBao jwt mount's
/// `jwt_validation_pubkeys` takes for a card-signed JWT login.
extension YubiKeySetupCommand {
    func setUpLoginKey(pin: [UInt8]) throws {
        let piv = try PIVCards.open(serial: card.serial)
        defer { piv.close() }
        let serial = piv.serial
        let label = name ?? "keyrack login \(serial)"
        let made = try piv.generateIdentityKey(slot: .authentication, pinPolicy: pinPolicy.policy, touchPolicy: touchPolicy.policy, pin: pin,
                                               name: { _ in label }, tool: "keyrack", touchWait: { YubiKeyPrompts.touch(serial) })
        let pem = Self.pem(made.certificate.der)
        let publicKey = CardJWT.publicKeyPEM(point: made.publicKey) ?? ""
        if let output { try Self.writeNew(output, pem) }
        for warning in (try? piv.factoryDefaults())?.warnings ?? [] { Terminal.printError("warning: \(warning)") }
        if made.managementKey == .replacedFactoryDefault {
            Terminal.printError("note: the factory management key was replaced by a random one stored PIN-protected on the card")
        }
        if json {
            let object: [String: Any] = [
                "serial": Int(serial), "slot": made.slot.description, "pinPolicy": pinPolicy.policy.description,
                "touchPolicy": touchPolicy.policy.description, "name": label, "certificate": pem, "publicKey": publicKey,
                "certificateFile": output as Any? ?? NSNull(),
            ]
            try ManifestCLI.printJSON(object)
        } else if let output {
            Terminal.printError("wrote the certificate of slot \(made.slot) to \(output); trust it with `bao write auth/cert/certs/NAME certificate=@\(output) token_policies=…`")
            print(publicKey, terminator: "")
        } else {
            print(pem + publicKey, terminator: "")
        }
    }

    /// A certificate as PEM, 64 base64 characters a line.
    static func pem(_ der: [UInt8]) -> String {
        let b64 = Data(der).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(b64)
        while !rest.isEmpty { lines.append(rest.prefix(64)); rest = rest.dropFirst(64) }
        return "-----BEGIN CERTIFICATE-----\n" + lines.joined(separator: "\n") + "\n-----END CERTIFICATE-----\n"
    }
}
