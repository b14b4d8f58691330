import CSodium
import Crypto

/// The textual header of an age v1 file: version line, recipient stanzas, MAC.
///
/// The parser is exactly as strict as the spec's ABNF (plus the canonical base64 rule), which is
/// what lets the MAC be checked over the raw bytes read: there is only one encoding of any header,
/// so the bytes on disk are the bytes a re-encoder would produce.
public struct Header: Sendable, Equatable {
    public static let versionLine = "age-encryption.org/v1"
    /// Caps that keep a hostile header from exhausting memory; far above what real files use
    /// (a post-quantum stanza is ~1.6 KB, an X25519 one ~120 bytes).
    public static let maxHeaderBytes = 4 << 20
    public static let maxStanzas = 20_000
    static let bodyLineBytes = 48

    public var stanzas: [Stanza]
    /// The 32-byte header MAC.
    public var mac: [UInt8]
    /// The bytes the MAC covers: from the version line through the `---` of the MAC line.
    public var macInput: [UInt8]

    /// Serialises stanzas into the MAC'd part of a header (ending in `---`, no space).
    static func encodeWithoutMAC(_ stanzas: [Stanza]) throws -> [UInt8] {
        var out = Array((versionLine + "\n").utf8)
        for stanza in stanzas {
            for token in [stanza.type] + stanza.arguments {
                let bytes = Array(token.utf8)
                guard !bytes.isEmpty, bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                    throw AgeError.malformedStanza("stanza argument '\(token)' is empty or has a character outside printable ASCII")
                }
            }
            out += Array(("-> " + ([stanza.type] + stanza.arguments).joined(separator: " ") + "\n").utf8)
            // Body lines of 48 bytes (64 characters), always closed by a short, possibly empty, line.
            var offset = 0
            while true {
                let end = min(offset + bodyLineBytes, stanza.body.count)
                out += AgeBase64.encode(stanza.body[offset..<end], padded: false)
                out.append(0x0A)
                if end - offset < bodyLineBytes { break }
                offset = end
            }
        }
        out += Array("---".utf8)
        return out
    }

    /// `HMAC-SHA-256(HKDF(file key, salt: empty, info: "header"), header bytes)`.
    static func mac(fileKey: FileKey, macInput: [UInt8]) -> [UInt8] {
        var key = HKDFSHA256.derive(inputKeyMaterial: fileKey.bytes, salt: [], info: Array("header".utf8))
        defer { sodium_memzero(&key, key.count) }
        return HMACSHA256.code(key: key, message: macInput)
    }

    /// Encodes a full header, MAC line included.
    public static func encode(_ stanzas: [Stanza], fileKey: FileKey) throws -> [UInt8] {
        var out = try encodeWithoutMAC(stanzas)
        let tag = mac(fileKey: fileKey, macInput: out)
        out += Array((" " + AgeBase64.encodeUnpadded(tag) + "\n").utf8)
        return out
    }

    /// Checks the MAC in constant time.
    public func verifyMAC(fileKey: FileKey) -> Bool {
        var key = HKDFSHA256.derive(inputKeyMaterial: fileKey.bytes, salt: [], info: Array("header".utf8))
        defer { sodium_memzero(&key, key.count) }
        return HMACSHA256.isValid(mac, key: key, message: macInput)
    }

    /// Parses a header from the start of `bytes`; returns it and the offset where the payload begins.
    public static func parse(_ bytes: [UInt8]) throws -> (header: Header, payloadOffset: Int) {
        let source = PeekableSource(BytesSource(bytes))
        let header = try parse(from: source)
        return (header, header.byteCount)
    }

    /// Length of the whole header in bytes, MAC line included.
    var byteCount: Int { macInput.count + 1 + 43 + 1 }

    /// Parses a header, consuming exactly its bytes (through the MAC line's LF) from `source`.
    static func parse(from source: PeekableSource) throws -> Header {
        var macInput: [UInt8] = []
        func nextLine(_ what: String) throws -> ArraySlice<UInt8> {
            let remaining = maxHeaderBytes - macInput.count
            guard let line = try source.readLine(limit: remaining) else {
                if try source.peek(remaining + 1).count > remaining {
                    throw AgeError.malformedHeader("header is larger than \(maxHeaderBytes) bytes")
                }
                throw AgeError.malformedHeader("file ended inside the header, while reading \(what)")
            }
            return line
        }

        let version = try nextLine("the version line")
        guard version.elementsEqual(versionLine.utf8) else {
            if version.starts(with: "age-encryption.org/".utf8) {
                throw AgeError.malformedHeader("unsupported version line '\(printable(version))'; this file needs a newer age")
            }
            throw AgeError.malformedHeader("the file does not start with the age version line (not an age file?)")
        }
        macInput += version + [0x0A]

        var stanzas: [Stanza] = []
        while true {
            let line = try nextLine("a stanza or the MAC line")
            if line.starts(with: "---".utf8) {
                let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].elementsEqual("---".utf8),
                      let mac = AgeBase64.decodeUnpadded(parts[1]), mac.count == 32 else {
                    throw AgeError.malformedHeader("the MAC line is not '--- ' followed by 43 characters of canonical base64")
                }
                guard !stanzas.isEmpty else { throw AgeError.malformedHeader("the header has no recipient stanza") }
                macInput += "---".utf8
                return Header(stanzas: stanzas, mac: mac, macInput: macInput)
            }
            guard line.starts(with: "-> ".utf8) else {
                throw AgeError.malformedHeader("a header line starts with neither '-> ' nor '---'")
            }
            guard stanzas.count < maxStanzas else { throw AgeError.malformedHeader("more than \(maxStanzas) stanzas") }
            let tokens = line.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false)
            guard tokens.allSatisfy({ !$0.isEmpty }) else {
                throw AgeError.malformedHeader("a stanza has an empty argument (double or trailing space, or no type)")
            }
            guard tokens.allSatisfy({ $0.allSatisfy { (0x21...0x7E).contains($0) } }) else {
                throw AgeError.malformedHeader("a stanza argument has a character outside printable ASCII")
            }
            macInput += line + [0x0A]

            var body: [UInt8] = []
            while true {
                let bodyLine = try nextLine("a stanza body")
                guard let decoded = AgeBase64.decodeUnpadded(bodyLine) else {
                    if bodyLine.starts(with: "->".utf8) || bodyLine.starts(with: "---".utf8) {
                        throw AgeError.malformedHeader("a stanza has no final short body line (a pre-release age file?)")
                    }
                    throw AgeError.malformedHeader("a stanza body line is not canonical unpadded base64")
                }
                guard decoded.count <= bodyLineBytes else {
                    throw AgeError.malformedHeader("a stanza body line is longer than 64 characters")
                }
                macInput += bodyLine + [0x0A]
                body += decoded
                if decoded.count < bodyLineBytes { break }
            }
            let strings = tokens.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(Stanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
        }
    }

    private static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix(40).map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
