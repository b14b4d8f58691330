import AgeYubiKey
import PIV

/// `yubikey setup --json` (a retired slot): the new age identity; `identityFile` is where it was
/// written (-o), null when printed.
public struct CardIdentitySetupJSON: Encodable, Equatable {
    public var serial: UInt32
    public var slot: String
    public var recipient: String
    public var recipientType: String
    public var identity: String
    public var pinPolicy: String
    public var touchPolicy: String
    public var name: String
    public var identityFile: String?

    public init(_ made: CardIdentitySetup.Made, recipientType: YubiKeyRecipientType, identityFile: String?) {
        let s = made.setup
        (serial, slot, recipient, self.recipientType, identity) = (s.serial, s.slot.description, made.recipient, recipientType.rawValue, s.stub.string)
        (pinPolicy, touchPolicy, name, self.identityFile) = (s.pinPolicy.description, s.touchPolicy.description, s.name, identityFile)
    }
}

/// `yubikey setup --slot 9a --json`: the login key's certificate and public key as PEM;
/// `certificateFile` is where the certificate was written (-o), null when printed.
public struct LoginKeySetupJSON: Encodable, Equatable {
    public var serial: UInt32
    public var slot: String
    public var pinPolicy: String
    public var touchPolicy: String
    public var name: String
    public var certificate: String
    public var publicKey: String
    public var certificateFile: String?

    public init(_ made: LoginKeySetup.Result, pinPolicy: PINPolicy, touchPolicy: TouchPolicy, certificateFile: String?) {
        (serial, slot, self.pinPolicy, self.touchPolicy, name) = (made.serial, made.slot.description, pinPolicy.description, touchPolicy.description, made.name)
        (certificate, publicKey, self.certificateFile) = (made.certificatePEM, made.publicKeyPEM, certificateFile)
    }
}
