import AgeFormat
import AgeYubiKey
import Foundation
import SecretBytes
import TPM

/// Supplies the TPM key's PIN when it has one; nil means the user declined. The argument is the
/// number of tries left before the TPM locks out, when the TPM said.
public typealias TPMPINProvider = (_ triesLeft: Int?) throws -> [UInt8]?

/// The age identity of a TPM owner: unwrapping its `p256tag` stanzas costs one TPM2_ECDH_ZGen on
/// the TPM per stanza tried (one per unlock: a manifest holds one stanza for the key). The PIN
/// is asked only when a stanza is ours and the key has one; a wrong PIN is reported with the
/// dictionary-attack counter and never retried.
/// `@unchecked`: the cached PIN is reached only under `lock`, but the PIN provider is the
/// caller's closure (Swift 5 mode code, not `@Sendable`), which the compiler cannot check.
public final class TPMIdentity: Identity, @unchecked Sendable {
    public let stub: TPMStub
    public let client: TPMClient
    private let pinProvider: TPMPINProvider?
    private let lock = NSLock()
    /// With `cachesPIN` (the identity agent), the PIN is kept in locked memory after it worked once.
    private let cachesPIN: Bool
    private var cachedPIN: LockedBytes?

    public init(stub: TPMStub, client: TPMClient, pinProvider: TPMPINProvider? = nil, cachesPIN: Bool = false) {
        self.stub = stub
        self.client = client
        self.pinProvider = pinProvider
        self.cachesPIN = cachesPIN
    }

    /// ECDH_ZGen commands sent for this identity's client.
    public var tpmOperations: Int { client.ecdhOperations }

    /// Forgets a cached PIN (the agent's relock).
    public func forgetPIN() {
        lock.lock(); defer { lock.unlock() }
        cachedPIN = nil
    }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        lock.lock(); defer { lock.unlock() }
        var pin: [UInt8]? = nil
        defer { if pin != nil { wipe(&pin!) } }
        return try P256Tag.unwrap(stanzas, recipient: stub.recipient) { enc in
            if stub.key.hasPIN && pin == nil { pin = try self.pin() }
            let shared = try client.ecdh(stub.key, peer: enc, pin: pin)
            if cachesPIN, stub.key.hasPIN, cachedPIN == nil, let pin { cachedPIN = LockedBytes(pin) }
            return shared
        }
    }

    private func pin() throws -> [UInt8] {
        if let cachedPIN { return cachedPIN.withBytes { Array($0) } }
        guard let pinProvider else { throw TPMError.pinRequired }
        let tries = try? client.lockoutStatus()
        if let tries, tries.inLockout { throw TPMError.lockout(secondsPerTry: tries.secondsPerTry) }
        guard let pin = try pinProvider(tries?.triesLeft), !pin.isEmpty else { throw TPMError.pinRequired }
        return pin
    }
}
