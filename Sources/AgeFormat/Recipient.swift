// The two small interfaces that carry the whole design, as in age: a Recipient wraps a file key
// into stanzas (software only, no secret needed), an Identity unwraps one from the stanzas of a
// header. Every key type (X25519, ssh, scrypt, mlkem768x25519, piv-p256) is one pair of these, so
// a new backend slots in without touching the header or STREAM code.

/// One `-> type args…` stanza of an age header, with its decoded body.
public struct Stanza: Equatable, Sendable {
    public var type: String
    public var arguments: [String]
    public var body: [UInt8]

    public init(type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }
}

/// The 16-byte symmetric key a file's header wraps for each recipient.
public struct FileKey: Sendable, Equatable {
    public static let byteCount = 16
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == FileKey.byteCount else {
            throw AgeError.malformedStanza("file key is \(bytes.count) bytes, want \(FileKey.byteCount)")
        }
        self.bytes = bytes
    }

    /// A fresh random file key.
    public static func random() -> FileKey {
        var rng = SystemRandomNumberGenerator()
        return try! FileKey(bytes: (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &rng) })
    }
}

/// Something a file can be encrypted to.
public protocol Recipient {
    /// Wraps `fileKey` into one or more stanzas for this recipient.
    func wrap(_ fileKey: FileKey) throws -> [Stanza]

    /// Labels constrain which recipients may share a file (age's `RecipientWithLabels`): all
    /// recipients of one file must carry the same set. Post-quantum recipients carry
    /// `postquantum`, so a classic recipient cannot silently weaken a hybrid file; scrypt carries
    /// a random unique label so it can never be mixed with anything.
    var labels: Set<String> { get }
}

extension Recipient {
    public var labels: Set<String> { [] }
}

/// Something that can open files encrypted to a matching recipient.
public protocol Identity {
    /// Returns the file key when one of `stanzas` is addressed to this identity, or `nil` when
    /// none is ("not mine", which is not an error: the next identity is tried). Throws only when a
    /// stanza is this identity's kind and is malformed, or unwrapping must abort the whole file.
    func unwrap(_ stanzas: [Stanza]) throws -> FileKey?
}
