import AgeFormat
import AgeSSH
import AgeTPM
import AgeYubiKey

/// Every recipient string keyrack reads, in one table: `keyrack age -r` and `-R`, the public
/// keys a manifest is encrypted to, `init --pubkey` and `recipient add` all go through here. The
/// format modules each know their own kinds (AgeFormat: X25519, mlkem768x25519; AgeSSH:
/// ssh-ed25519, ssh-rsa; AgeYubiKey: piv-p256, p256tag); this is where they meet.
public enum RecipientString {
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// `ssh-ed25519 …`, `ssh-rsa …`; `ecdsa-…` and `sk-…` too, so they are refused by name.
        case ssh
        /// `age1yubikey1…`: a YubiKey P-256 slot, age-plugin-yubikey's form.
        case pivP256
        /// `age1tag1…`: the same key in C2SP p256tag form.
        case p256Tag
        /// `age1pq1…`: post-quantum, never mixed with the classic kinds in one file.
        case mlkem768x25519
        /// `age1…`: X25519 (also what a firmware 5.7 YubiKey's X25519 slot is).
        case x25519

        /// The backend that proves an owner with a key of this kind, as the key alone says.
        public var via: Via {
            switch self {
            case .ssh: return .ssh
            case .pivP256, .p256Tag: return .yubikey
            case .mlkem768x25519, .x25519: return .age
            }
        }
    }

    /// The kind of `string` from its prefix alone; nil when it is none of them. An `age1NAME1…`
    /// plugin recipient is `.x25519` here and refused, by its plugin name, when parsed.
    public static func kind(of string: String) -> Kind? {
        if ["ssh-", "ecdsa-", "sk-"].contains(where: { string.hasPrefix($0) }) { return .ssh }
        if string.hasPrefix("age1yubikey1") { return .pivP256 }
        if string.hasPrefix("age1tag1") { return .p256Tag }
        if string.hasPrefix("age1pq1") { return .mlkem768x25519 }
        if string.hasPrefix("age1") { return .x25519 }
        return nil
    }

    /// The recipient `string` names, of any kind. Errors are `AgeError.invalidKey`, naming what
    /// is wrong with the string (never echoing more than its kind).
    public static func recipient(_ string: String) throws -> any Recipient {
        switch kind(of: string) {
        case .ssh?:
            do { return try SSHKeys.recipient(fromAuthorizedKey: string) } catch let error as SSHKeyError {
                throw AgeError.invalidKey(error.description)
            }
        case .pivP256?: return try PIVP256Recipient(string: string)
        case .p256Tag?: return try P256TagRecipient(string: string)
        case .mlkem768x25519?, .x25519?, nil: return try AgeKeys.parseRecipient(string)
        }
    }
}

/// Every identity line keyrack reads, in one place: the lines of a `keyrack age -i` file and of
/// the identity files manifests are opened with. Native age keys and YubiKey stubs may share a
/// file; `cardIdentity` makes the card identity of a stub with the caller's PIN and touch
/// prompts (a terminal for `keyrack age`, the command's interaction for the manifests), and
/// `tpmIdentity` the TPM identity of an `AGE-PLUGIN-TPM-1…` line (age-plugin-tpm's, or a TPM
/// owner's identity file) with the caller's PIN prompt.
public enum IdentityLines {
    /// One identity per line, `#` comments and blank lines ignored, at least one. Errors are
    /// `AgeError.invalidKey("line N: …")`, naming no secret.
    public static func identities(in text: String, cardIdentity: (YubiKeyStub) throws -> any Identity,
                                  tpmPIN: @escaping TPMPINProvider = { _ in nil }) throws -> [any Identity] {
        try AgeKeys.lines(of: text, what: "identity").map { line in
            do {
                if line.text.hasPrefix(YubiKeyStub.hrp) { return try cardIdentity(try YubiKeyStub(string: line.text)) }
                if line.text.hasPrefix(TPMStub.hrp) {
                    let file = TPMIdentityFile(stub: try TPMStub(string: line.text), tcti: nil)
                    return TPMBackend.identity(file, pin: tpmPIN)
                }
                return try AgeKeys.parseIdentity(line.text)
            } catch let error as AgeError {
                throw AgeError.invalidKey("line \(line.number): \(error.reason)")
            }
        }
    }
}
