import AgeFormat
import Crypto
import Foundation
import PIV

/// What a PIN prompt needs to say.
public struct PINRequest: Sendable {
    public let serial: UInt32
    public let slot: PIVSlot
    /// Tries left before the PIN blocks, when the card said.
    public let triesLeft: Int?
    /// "Enter PIN for YubiKey with serial N", as age-plugin-yubikey asks.
    public var prompt: String { "Enter PIN for YubiKey with serial \(serial)" + (triesLeft.map { " (\($0) tries left)" } ?? "") + ": " }
}

/// Supplies the PIN when the card needs it; nil means the user declined.
public typealias PINProvider = (PINRequest) throws -> [UInt8]?
/// Called when the card has been waiting for a touch for half a second, with the card's serial.
public typealias TouchNotifier = (UInt32) -> Void

/// An `AGE-PLUGIN-YUBIKEY-1…` identity backed by a card: unwrapping a `piv-p256` stanza costs
/// exactly one ECDH on the card. The PIN is asked through `pinProvider` only when the slot's
/// policy needs it and the card is not already verified, and a wrong PIN is reported, never
/// retried: every retry would spend one of the card's three.
public final class YubiKeyIdentity: Identity, @unchecked Sendable {
    public let stub: YubiKeyStub
    private let pinProvider: PINProvider?
    private let touchNotifier: TouchNotifier?
    private let lock = NSLock()
    private var operations = 0

    public init(stub: YubiKeyStub, pinProvider: PINProvider? = nil, touchNotifier: TouchNotifier? = nil) {
        self.stub = stub
        self.pinProvider = pinProvider
        self.touchNotifier = touchNotifier
    }

    /// Private-key operations this identity has asked any card for, over its lifetime.
    public var cardOperations: Int {
        lock.lock(); defer { lock.unlock() }
        return operations
    }

    /// Reads the recipient from the card (no PIN, no touch), checking it matches the stub.
    public func recipient() throws -> PIVP256Recipient {
        let card = try PIVCards.open(serial: stub.serial)
        defer { card.close() }
        return try recipient(on: card).recipient
    }

    private func recipient(on card: PIVCard) throws -> (recipient: PIVP256Recipient, info: PIVSlotInfo) {
        let info = try card.p256Key(stub.slot)
        let recipient = try PIVP256Recipient(point: info.publicKey!)
        guard recipient.tag == stub.tag else {
            throw AgeError.invalidKey("the YubiKey identity does not match the key in slot \(stub.slot) of YubiKey \(stub.serial): the slot was reused; find the right identity with `keyrack yubikey list`")
        }
        return (recipient, info)
    }

    public func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        // Structure first, and without a card: a malformed piv-p256 stanza fails the file; one
        // with another tag is simply not ours.
        var mine: [PIVP256.Parsed] = []
        for stanza in stanzas where stanza.type == PIVP256.stanzaType {
            let parsed = try PIVP256.Parsed(stanza)
            if parsed.tag == stub.tag { mine.append(parsed) }
        }
        guard !mine.isEmpty else { return nil }

        let card = try PIVCards.open(serial: stub.serial)
        defer { card.close() }
        let (recipient, info) = try recipient(on: card)
        try satisfyPIN(on: card, policy: info.pinPolicy)

        for parsed in mine {
            let peer = Array(parsed.ephemeral.x963Representation)
            let notifier = touchNotifier
            let serial = stub.serial
            lock.lock(); operations += 1; lock.unlock()
            let sharedX = try card.ecdh(slot: stub.slot, peer: peer, policies: (info.pinPolicy, info.touchPolicy),
                                        touchWait: notifier.map { n in { n(serial) } })
            if let fileKey = try parsed.open(sharedX: sharedX, recipient: recipient.compressedPoint) { return fileKey }
        }
        throw AgeError.malformedStanza("a piv-p256 stanza for YubiKey \(stub.serial) slot \(stub.slot) failed to decrypt: the file is corrupted or was tampered with")
    }

    /// Asks for and verifies the PIN only when the policy requires it and the session does not
    /// already have it. Unknown policy (no metadata, foreign certificate) is treated as "ask".
    private func satisfyPIN(on card: PIVCard, policy: PINPolicy?) throws {
        switch policy {
        case .never?:
            return
        case .once?, nil:
            if try card.isPINVerified() { return }
        case .always?:
            break
        }
        let tries = try card.pinTriesLeft()
        if tries == 0 { throw PIVError.pinBlocked }
        guard let provider = pinProvider, var pin = try provider(PINRequest(serial: stub.serial, slot: stub.slot, triesLeft: tries)) else {
            throw PIVError.pinRequired(serial: stub.serial)
        }
        defer { wipe(&pin) }
        try card.verifyPIN(pin)
    }
}
