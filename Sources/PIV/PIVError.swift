/// Every way talking to a PIV card can fail. Each case renders as one line: the problem, then a
/// remedy in terms of the card and common tools, never in a program's own commands or options
/// (keyrack's CLI words those). None ever carries a PIN, PUK, management key or key material.
public enum PIVError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `SCardEstablishContext` said SCARD_E_NO_SERVICE: nobody answers on pcscd's socket.
    case pcscdNotRunning
    /// No reader holds a card.
    case noCard
    /// No card with this serial is plugged in; `available` lists the serials that are.
    case cardNotFound(serial: UInt32, available: [UInt32])
    /// Several cards are plugged in and the caller did not say which one to use.
    case multipleCards(serials: [UInt32])
    /// Another program holds the card exclusively (SCARD_E_SHARING_VIOLATION).
    case cardBusy(reader: String)
    /// The card went away (or was reset by force) while we were talking to it.
    case cardRemoved(serial: UInt32?)
    /// The card in this reader has no PIV applet (SELECT failed).
    case notPIV(reader: String)
    /// A PC/SC call failed for another reason.
    case pcsc(operation: String, code: Int)

    /// VERIFY answered 63Cx.
    case wrongPIN(triesLeft: Int)
    /// VERIFY answered 6983: the PIN retry counter is exhausted.
    case pinBlocked
    /// CHANGE REFERENCE DATA for the PUK answered 63Cx.
    case wrongPUK(triesLeft: Int)
    /// The PUK retry counter is exhausted.
    case pukBlocked
    /// The slot needs the PIN and none was given (the user declined, or no prompt is possible).
    case pinRequired(serial: UInt32)
    /// A PIN/PUK of the wrong shape (length, characters) was refused before reaching the card.
    case invalidPIN(String)
    /// The card refused the private-key operation after the PIN was satisfied: the touch never came.
    case touchTimeout(serial: UInt32)

    /// A slot outside what the operation allows.
    case invalidSlot(String)
    /// The slot holds no key.
    case slotEmpty(serial: UInt32, slot: UInt8)
    /// `setup --slot` named a slot that already holds a key or certificate.
    case slotInUse(serial: UInt32, slot: UInt8)
    /// All twenty retired slots are taken.
    case noFreeSlot(serial: UInt32)
    /// The slot holds a key keyrack cannot use (not P-256).
    case unsupportedKey(slot: UInt8, algorithm: UInt8)

    /// The card's firmware predates what was asked for (X25519 keys need 5.7).
    case needsFirmware(serial: UInt32, version: FirmwareVersion, feature: String)

    /// Neither the PIN-protected management key nor the factory default authenticated.
    case managementKeyAuthenticationFailed(serial: UInt32)
    /// The card's management key is of a kind we do not handle.
    case managementKeyUnsupported(String)

    /// The card answered a status word we did not expect.
    case cardError(operation: String, status: UInt16)
    /// The card answered 9000 but the data did not parse.
    case malformedResponse(String)
    /// libykpiv reported an error we could not refine.
    case library(operation: String, code: Int32)

    public var description: String { remedy.map { "\(problem): \($0)" } ?? problem }

    /// What went wrong, without what to do about it.
    public var problem: String {
        switch self {
        case .pcscdNotRunning: return "pcscd is not running"
        case .noCard: return "no YubiKey found"
        case .cardNotFound(let serial, let available):
            let others = available.isEmpty ? "no card is plugged in" : "plugged in: " + available.map(String.init).joined(separator: ", ")
            return "no YubiKey with serial \(serial) is plugged in (\(others))"
        case .multipleCards(let serials):
            return "several YubiKeys are plugged in (serials \(serials.map(String.init).joined(separator: ", ")))"
        case .cardBusy(let reader):
            return "the card in '\(reader)' is held exclusively by another program (gpg's scdaemon or yubikey-agent?)"
        case .cardRemoved(let serial):
            return "\(serial.map { "YubiKey \($0)" } ?? "the card") was removed or reset during the operation"
        case .notPIV(let reader): return "the card in '\(reader)' has no PIV application"
        case .pcsc(let operation, let code):
            return "PC/SC error during \(operation) (0x\(String(UInt32(truncatingIfNeeded: code), radix: 16)))"
        case .wrongPIN(let tries): return "wrong PIN (\(tries) \(tries == 1 ? "try" : "tries") left before it blocks)"
        case .pinBlocked: return "the PIN is blocked"
        case .wrongPUK(let tries): return "wrong PUK (\(tries) \(tries == 1 ? "try" : "tries") left before it blocks)"
        case .pukBlocked: return "the PUK is blocked"
        case .pinRequired(let serial): return "a PIN is required for YubiKey \(serial)"
        case .invalidPIN(let why): return why
        case .touchTimeout(let serial): return "timed out waiting for a touch on YubiKey \(serial)"
        case .invalidSlot(let why): return why
        case .slotEmpty(let serial, let slot): return "slot \(hex(slot)) of YubiKey \(serial) holds no key"
        case .slotInUse(let serial, let slot): return "slot \(hex(slot)) of YubiKey \(serial) already holds a key"
        case .noFreeSlot(let serial): return "YubiKey \(serial) has no free retired slot (82–95)"
        case .unsupportedKey(let slot, let alg): return "slot \(hex(slot)) holds a key of algorithm 0x\(hex(alg)), not P-256"
        case .needsFirmware(let serial, let version, let feature):
            return "YubiKey \(serial) has firmware \(version); \(feature) need firmware 5.7 or later"
        case .managementKeyAuthenticationFailed(let serial):
            return "cannot authenticate to YubiKey \(serial) with its PIN-protected or default management key"
        case .managementKeyUnsupported(let why): return "unsupported management key: \(why)"
        case .cardError(let operation, let status): return "the card refused \(operation) (status \(hex4(status)))"
        case .malformedResponse(let why): return "the card sent a malformed reply (\(why))"
        case .library(let operation, let code): return "libykpiv failed during \(operation) (code \(code))"
        }
    }

    /// What to do next, in terms of the card and the usual tools only: a program built on this
    /// module words its own commands and options (keyrack's CLI does, in PIVError+Text.swift).
    public var remedy: String? {
        switch self {
        case .pcscdNotRunning: return "start it (sudo systemctl start pcscd, or install it with sudo apt-get install pcscd) and retry"
        case .noCard: return "plug one in (and check `pcsc_scan` sees it), then retry"
        case .cardNotFound: return "insert it and retry"
        case .multipleCards: return "choose one by its serial number"
        case .cardBusy: return "stop it (gpgconf --kill scdaemon) and retry"
        case .cardRemoved: return "plug it back in and retry"
        case .notPIV: return "use a YubiKey 4 or 5, or enable PIV on it (ykman config)"
        case .pcsc: return "re-plug the card or restart pcscd and retry"
        case .wrongPIN: return "retry with the right PIN"
        case .pinBlocked: return "unblock it with the PUK (yubico-piv-tool -a unblock-pin, or ykman piv access unblock-pin)"
        case .wrongPUK: return "retry with the right PUK"
        case .pukBlocked: return "it can no longer unblock the PIN; if the PIN is blocked too, only a PIV reset (which erases the keys) helps"
        case .pinRequired: return "enter it on a terminal, or hand it to the program that asks"
        case .invalidPIN, .invalidSlot, .managementKeyUnsupported: return nil
        case .touchTimeout: return "retry and touch the key when it blinks"
        case .slotEmpty: return "generate a key in it first"
        case .slotInUse: return "choose another slot"
        case .noFreeSlot: return "free one with ykman piv keys delete, or use another key"
        case .unsupportedKey: return "use a slot that holds a P-256 key"
        case .needsFirmware: return "use a P-256 key, or a YubiKey 5 with firmware 5.7+"
        case .managementKeyAuthenticationFailed: return "make it PIN-protected (ykman piv access change-management-key --protect) and retry"
        case .cardError, .malformedResponse, .library: return "re-plug the card and retry"
        }
    }
}

func hex(_ byte: UInt8) -> String {
    let s = String(byte, radix: 16, uppercase: false)
    return s.count == 1 ? "0" + s : s
}

func hex4(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
