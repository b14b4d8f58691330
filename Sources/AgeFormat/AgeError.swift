/// Every way reading or writing an age file can fail. Each case renders as one line that names
/// what was wrong, so the CLI can print it as is; none ever carries key material or plaintext.
public enum AgeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The header's grammar was violated (version line, stanza lines, base64, limits).
    case malformedHeader(String)
    /// A stanza of a known type had bad arguments or body.
    case malformedStanza(String)
    /// No identity matched any stanza. Carries the stanza types seen so the message can say what
    /// kind of key is needed.
    case noMatchingIdentity(stanzaTypes: [String])
    /// The header MAC did not verify: wrong file key or tampered header.
    case headerMACMismatch
    /// A payload chunk failed authentication (tampered or corrupted ciphertext).
    case payloadAuthenticationFailed(chunk: UInt64)
    /// The payload ended before its last chunk (truncated file).
    case truncated
    /// Bytes followed the last chunk.
    case trailingData
    /// A non-final chunk was empty, or the last chunk was empty in a non-empty file.
    case emptyLastChunk
    /// ASCII armor rules were violated.
    case malformedArmor(String)
    /// An invalid recipient or identity string (bech32, prefix, length, key type).
    case invalidKey(String)
    /// Recipients that cannot share one file (labels differ, scrypt mixed with others).
    case incompatibleRecipients(String)
    /// scrypt work factor above the allowed maximum, or wrong passphrase.
    case scrypt(String)
    /// Reading the input or writing the output failed (the OS error, never file contents).
    case io(String)

    public var description: String {
        switch self {
        case .malformedHeader(let why): return "malformed age header: \(why)"
        case .malformedStanza(let why): return "malformed recipient stanza: \(why)"
        case .noMatchingIdentity(let types):
            let kinds = Array(Set(types)).sorted().joined(separator: ", ")
            return "no identity matched any of the file's recipients (stanza types: \(kinds))"
        case .headerMACMismatch: return "header MAC mismatch: the header was tampered with or the file key is wrong"
        case .payloadAuthenticationFailed(let chunk): return "payload authentication failed at chunk \(chunk): the file is corrupted or was tampered with"
        case .truncated: return "the file is truncated: its last chunk is missing"
        case .trailingData: return "trailing data after the end of the encrypted payload"
        case .emptyLastChunk: return "the payload ends with an empty chunk, which is not allowed"
        case .malformedArmor(let why): return "malformed ASCII armor: \(why)"
        case .invalidKey(let why): return "invalid key: \(why)"
        case .incompatibleRecipients(let why): return "incompatible recipients: \(why)"
        case .scrypt(let why): return why
        case .io(let why): return why
        }
    }
}
