import AgeFormat
import Crypto
import Foundation

/// The stanzas of an owner's manifest header, as fingerprints. keyrack wrote that header, so it
/// knows them: the identity agent refuses to unwrap exactly these stanzas (issue 24), since a
/// process that opened the manifest through the agent would read every value in it, sudo keys
/// that were never unlocked included, with no prompt. A stanza is bound to its file key, so a
/// copy of the manifest (or its header grafted onto another file) is caught; a stanza merely
/// resembling it is not.
public enum ManifestStanzas {
    /// SHA-256 over a stanza's type, arguments and body, each length-prefixed: equal only for
    /// the same stanza.
    public static func fingerprint(type: String, arguments: [String], body: [UInt8]) -> [UInt8] {
        var hash = SHA256()
        func add(_ bytes: [UInt8]) {
            var n = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &n) { hash.update(bufferPointer: $0) }
            hash.update(data: bytes)
        }
        add(Array(type.utf8))
        add(Array(String(arguments.count).utf8))
        for a in arguments { add(Array(a.utf8)) }
        add(body)
        return Array(hash.finalize())
    }

    /// The fingerprints of every stanza of `owner`'s manifest as it is on disk now; empty when
    /// there is no manifest or it cannot be read (nothing to refuse then: it does not open).
    public static func current(_ owner: OwnerName, home: KeyrackHome) -> Set<[UInt8]> {
        guard let bytes = try? FileSystem.read(home.manifest(owner), noFollow: true) else { return [] }
        return Set(stanzas(of: bytes).map { fingerprint(type: $0.type, arguments: $0.arguments, body: $0.body) })
    }

    /// The header stanzas of an age file (armored or not), read without any key.
    static func stanzas(of file: [UInt8]) -> [Stanza] {
        let recorder = Recorder()
        _ = try? AgeDecryptor(input: BytesSource(file), identities: [recorder])
        return recorder.seen
    }

    /// An identity that opens nothing and remembers what it was shown.
    private final class Recorder: Identity {
        var seen: [Stanza] = []
        func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
            seen = stanzas
            return nil
        }
    }
}
