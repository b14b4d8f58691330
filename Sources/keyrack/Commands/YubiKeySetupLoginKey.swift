import KeyrackApp
import PIV
import KeyrackClient
import KeyrackPresentation

/// `keyrack yubikey setup --slot 9a` (LoginKeySetup): prints the certificate as PEM (or writes it
/// to -o) and the public key as PEM after it (in --json, `publicKey`).
extension YubiKeySetupCommand {
    func render(_ made: LoginKeySetup.Result) {
        for note in made.notes { Terminal.printError(note.line) }
        if json {
            JSONLine.print(LoginKeySetupJSON(made, pinPolicy: pinPolicy.policy, touchPolicy: touchPolicy.policy, certificateFile: output))
        } else if let output {
            Terminal.printError("wrote the certificate of slot \(made.slot) to \(output); trust it with `bao write auth/cert/certs/NAME certificate=@\(output) token_policies=…`")
            print(made.publicKeyPEM, terminator: "")
        } else {
            print(made.certificatePEM + made.publicKeyPEM, terminator: "")
        }
    }
}
