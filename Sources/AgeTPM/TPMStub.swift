import AgeFormat
import AgeYubiKey
import TPM

/// An `AGE-PLUGIN-TPM-1…` identity in age-plugin-tpm's encoding (its plugin/identity.go,
/// version 2): Bech32 (uppercase) of
///
///     version (1 byte: 2) ‖ has PIN (1 byte: 0/1) ‖ TPM2B_PUBLIC ‖ TPM2B_PRIVATE ‖ TPM2B_NAME of the SRK
///
/// It holds the owner's key sealed by the TPM's storage root key: nothing in it is secret to
/// anyone without that TPM. Version 1 (no SRK name) is read too. Because both tools derive the
/// same standard ECC storage root key and make the same kind of key, a line written by one
/// loads in the other (age-plugin-tpm then encrypts and decrypts to the same age1tag1… key).
public struct TPMStub: Sendable, Equatable, CustomStringConvertible {
    public static let hrp = "AGE-PLUGIN-TPM-"
    public static let version: UInt8 = 2
    public let key: TPMSealedKey

    public init(key: TPMSealedKey) { self.key = key }

    public init(string: String) throws {
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(string) } catch {
            throw AgeError.invalidKey("malformed AGE-PLUGIN-TPM-1 identity (bad Bech32 encoding): restore the identity file from a backup")
        }
        guard decoded.hrp == TPMStub.hrp.lowercased() else { throw AgeError.invalidKey("not a TPM identity (want AGE-PLUGIN-TPM-1…)") }
        var d = ArraySlice(decoded.data)
        guard d.count >= 2, d[d.startIndex] == 1 || d[d.startIndex] == 2, d[d.startIndex + 1] <= 1 else {
            throw AgeError.invalidKey("TPM identity has an unknown version or PIN flag")
        }
        let version = d.removeFirst()
        let hasPIN = d.removeFirst() == 1
        func sized() throws -> [UInt8] {
            guard d.count >= 2 else { throw AgeError.invalidKey("TPM identity is truncated") }
            let n = Int(d[d.startIndex]) << 8 | Int(d[d.startIndex + 1])
            guard d.count >= 2 + n else { throw AgeError.invalidKey("TPM identity is truncated") }
            defer { d = d.dropFirst(2 + n) }
            return Array(d.prefix(2 + n))
        }
        let pub = try sized(), priv = try sized()
        let name = version >= 2 ? try sized() : []
        guard d.isEmpty else { throw AgeError.invalidKey("TPM identity has trailing bytes") }
        do { key = try TPMSealedKey(publicBlob: pub, privateBlob: priv, parentName: name, hasPIN: hasPIN) } catch let error as TPMError {
            throw AgeError.invalidKey("TPM identity: \(error.problem)")
        }
    }

    public var bytes: [UInt8] {
        [key.parentName.isEmpty ? 1 : TPMStub.version, key.hasPIN ? 1 : 0] + key.publicBlob + key.privateBlob + key.parentName
    }

    public var string: String { Bech32.encode(hrp: TPMStub.hrp, data: bytes).uppercased() }
    public var description: String { "AGE-PLUGIN-TPM-1…" }

    /// The key's `age1tag1…` recipient (what age ≥ 1.3 and age-plugin-tpm encrypt to).
    public var recipient: P256TagRecipient { try! P256TagRecipient(point: key.point) }
}
