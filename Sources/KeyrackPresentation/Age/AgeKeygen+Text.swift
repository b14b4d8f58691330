import KeyrackApp

/// `age keygen`'s note on stderr when the identity went to a file or a pipe (as `age-keygen` says it).
extension AgeKeygen.Key {
    public var publicKeyLine: String { "Public key: \(publicKey)" }
}
