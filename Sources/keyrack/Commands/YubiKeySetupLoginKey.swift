import Foundation
import KeyrackApp
import PIV
import KeyrackClient

/// `keyrack yubikey setup --slot 9a` (LoginKeySetup): prints the certificate as PEM (or writes it
/// to -o) and the public key as PEM after it (in --json, `publicKey`).
extension YubiKeySetupCommand {
    func setUpLoginKey(pin: [UInt8]) throws {
        let made = try LoginKeySetup.run(serial: card.serial, pinPolicy: pinPolicy.policy, touchPolicy: touchPolicy.policy, pin: pin, name: name)
        let (pem, publicKey) = (made.certificatePEM, made.publicKeyPEM)
        if let output { try NewFile.create(output, pem) }
        for warning in made.factoryWarnings { Terminal.printError("warning: \(warning)") }
        if made.replacedFactoryManagementKey {
            Terminal.printError("note: the factory management key was replaced by a random one stored PIN-protected on the card")
        }
        if json {
            let object: [String: Any] = [
                "serial": Int(made.serial), "slot": made.slot.description, "pinPolicy": pinPolicy.policy.description,
                "touchPolicy": touchPolicy.policy.description, "name": made.name, "certificate": pem, "publicKey": publicKey,
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
}
