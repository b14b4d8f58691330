import AgeYubiKey
import Foundation
import PIV
import SecretBytes

/// `keyrack yubikey setup`: a new key on the card, an age identity in a retired slot
/// (CardIdentitySetup) or a TLS login key in 9a (LoginKeySetup), after the PIN.
public struct CardKeySetup: Equatable {
    /// How a request is refused before the PIN is asked (the CLI words each with its options).
    public enum Problem: Error, Equatable, Sendable {
        /// Keys go to a retired slot (82–95), or 9a for a login key.
        case slotNotUsable(PIVSlot)
        /// The output file exists: an identity file is never overwritten.
        case outputExists(String)
    }

    public enum Made {
        case identity(CardIdentitySetup.Made)
        case loginKey(LoginKeySetup.Result)
    }

    public var serial: UInt32?
    /// nil: the first free retired slot.
    public var slot: PIVSlot?
    public var pinPolicy: PINPolicy
    public var touchPolicy: TouchPolicy
    public var recipientType: YubiKeyRecipientType
    public var name: String?
    /// Where the identity file (for 9a: the certificate) is written, exclusively.
    public var output: String?

    public init(serial: UInt32?, slot: PIVSlot?, pinPolicy: PINPolicy, touchPolicy: TouchPolicy, recipientType: YubiKeyRecipientType,
                name: String?, output: String?) {
        (self.serial, self.slot, self.pinPolicy, self.touchPolicy) = (serial, slot, pinPolicy, touchPolicy)
        (self.recipientType, self.name, self.output) = (recipientType, name, output)
    }

    public func check() throws {
        if let slot, !slot.isRetired && slot != .authentication { throw Problem.slotNotUsable(slot) }
        if let output, FileManager.default.fileExists(atPath: output) { throw Problem.outputExists(output) }
    }

    /// Asks `pin` once (wiped after use), then makes the key.
    public func run(pin: () throws -> [UInt8]) throws -> Made {
        try check()
        var given = try pin()
        defer { wipe(&given) }
        if slot == .authentication {
            return .loginKey(try LoginKeySetup.run(serial: serial, pinPolicy: pinPolicy, touchPolicy: touchPolicy, pin: given, name: name, output: output))
        }
        return .identity(try CardIdentitySetup.run(serial: serial, slot: slot, pinPolicy: pinPolicy, touchPolicy: touchPolicy,
                                                   recipientType: recipientType, pin: given, name: name, output: output))
    }
}
