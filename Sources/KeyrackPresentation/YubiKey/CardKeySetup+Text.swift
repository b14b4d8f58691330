import KeyrackApp

/// `yubikey setup`'s text answer (without --json): what goes to stdout, and the lines on stderr
/// after the card's notes (CardSetupNote+Text).
public struct CardSetupText: Equatable {
    public var stdout: String
    public var stderr: [String]

    public init(stdout: String, stderr: [String]) { (self.stdout, self.stderr) = (stdout, stderr) }
}

extension CardIdentitySetup.Made {
    /// The identity file on stdout; with -o (written there) only the recipient.
    public func text(writtenTo output: String?) -> CardSetupText {
        CardSetupText(stdout: output != nil ? recipient + "\n" : identityFile, stderr: [])
    }
}

extension LoginKeySetup.Result {
    /// `--slot 9a`: the certificate and then the public key as PEM on stdout; with -o (the
    /// certificate written there) the public key, and on stderr where the certificate went and how
    /// OpenBao trusts it.
    public func text(writtenTo output: String?) -> CardSetupText {
        guard let output else { return CardSetupText(stdout: certificatePEM + publicKeyPEM, stderr: []) }
        return CardSetupText(stdout: publicKeyPEM, stderr: [
            "wrote the certificate of slot \(slot) to \(output); trust it with `bao write auth/cert/certs/NAME certificate=@\(output) token_policies=…`",
        ])
    }
}
