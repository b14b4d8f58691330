import AgeFormat
import Crypto
import Foundation

/// An SSH public key as users see it: the `authorized_keys` line and the `SHA256:…` fingerprint
/// `ssh-keygen -l` prints. Manifests show these, so a user can tell which of their keys a file
/// is encrypted to.
public struct SSHPublicKey: Equatable, Sendable {
    /// `ssh-ed25519` or `ssh-rsa`.
    public let type: String
    /// The SSH wire encoding of the key (the base64-decoded second field of the line).
    public let wireBytes: [UInt8]
    /// The comment after the key, if the line or key file had one.
    public let comment: String?

    init(type: String, wireBytes: [UInt8], comment: String?) {
        self.type = type
        self.wireBytes = wireBytes
        let trimmed = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.comment = (trimmed?.isEmpty ?? true) ? nil : trimmed
    }

    /// `type base64 [comment]`, as in `authorized_keys` and `.pub` files.
    public var authorizedKey: String {
        let line = "\(type) \(Data(wireBytes).base64EncodedString())"
        return comment.map { "\(line) \($0)" } ?? line
    }

    /// `SHA256:` and the unpadded base64 of the SHA-256 of the wire encoding, as `ssh-keygen -l`.
    public var fingerprint: String {
        "SHA256:" + AgeBase64.encodeUnpadded(Array(SHA256.hash(data: wireBytes)))
    }

    /// The recipient for this key (the key was validated when this value was made).
    public func recipient() throws -> any Recipient {
        try SSHKeys.recipient(fromWire: wireBytes, comment: comment)
    }

    /// age's stanza tag: the first four bytes of SHA-256 of the wire encoding, unpadded base64.
    /// It links a file to the key (ssh stanzas are not anonymous), and lets an identity skip
    /// stanzas for other keys without any private-key operation.
    var tag: String {
        AgeBase64.encodeUnpadded(Array(SHA256.hash(data: wireBytes).prefix(4)))
    }
}

/// Implemented by every ssh recipient and identity this module returns, so callers holding an
/// `any Recipient` or `any Identity` can show which SSH key it is.
public protocol SSHPublicKeyHolder {
    var publicKey: SSHPublicKey { get }
}
