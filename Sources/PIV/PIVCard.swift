import CPCSC
import CYKPIV
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// A YubiKey's firmware version (GET VERSION, INS FD).
public struct FirmwareVersion: Comparable, Sendable, CustomStringConvertible {
    public let major: UInt8, minor: UInt8, patch: UInt8
    public init(_ major: UInt8, _ minor: UInt8, _ patch: UInt8) { (self.major, self.minor, self.patch) = (major, minor, patch) }
    public var description: String { "\(major).\(minor).\(patch)" }
    public static func < (a: FirmwareVersion, b: FirmwareVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }
    /// GET METADATA (INS F7) exists from 5.3.
    public var hasMetadata: Bool { self >= FirmwareVersion(5, 3, 0) }
}

/// One open connection to the PIV applet of one card.
///
/// We connect through PC/SC ourselves and hand the handle to libykpiv
/// (`ykpiv_connect_with_external_card`): libykpiv then frames APDUs, chains commands and
/// responses and does TDES, while we keep precise PC/SC errors and decide how to leave the card.
/// Reads and decryptions leave it as it is (`SCARD_LEAVE_CARD`); anything that used the
/// management key resets it on close, so no other program inherits that authentication. A
/// verified PIN follows the process's `PINRetentionPolicy`: kept for the next process where
/// pcscd restricts access, else fenced by a PC/SC transaction and reset on close.
public final class PIVCard {
    public let reader: String
    public private(set) var serial: UInt32 = 0
    public private(set) var version = FirmwareVersion(0, 0, 0)
    /// Private-key operations (ECDH, signatures) sent to the card by this connection. Benchmarks
    /// and tests read it to prove that one unlock costs exactly one card operation.
    public private(set) var privateKeyOperations = 0

    let context: PCSCContext
    private var handle: SCARDHANDLE
    private var state: OpaquePointer?
    var resetOnClose = false
    /// A PC/SC transaction of ours is open (see `fenceVerification`), ended at close.
    private var inTransaction = false

    init(reader: String, context: PCSCContext) throws {
        self.reader = reader
        self.context = context
        self.handle = try context.connect(reader)
        var st: OpaquePointer?
        guard ykpiv_init(&st, 0) == YKPIV_OK, let st else {
            SCardDisconnect(handle, PCSCConstant.leaveCard)
            throw PIVError.library(operation: "ykpiv_init", code: -1)
        }
        state = st
        let rc = ykpiv_connect_with_external_card(st, UInt(bitPattern: Int(context.handle)), UInt(bitPattern: Int(handle)))
        guard rc == YKPIV_OK else {
            close()
            throw PIVError.library(operation: "ykpiv_connect_with_external_card", code: rc.rawValue)
        }
        do {
            try selectPIV()
            try readIdentity()
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Ends the connection. Idempotent.
    public func close() {
        if let st = state {
            ykpiv_done_with_external_card(st)
            state = nil
            var disposition = resetOnClose ? PCSCConstant.resetCard : PCSCConstant.leaveCard
            if inTransaction {
                // Reset while the transaction still keeps every other connection out; if that
                // fails (the card was pulled), the disconnect below tries again.
                if Int(SCardEndTransaction(handle, disposition)) == PCSCStatus.success { disposition = PCSCConstant.leaveCard }
                inTransaction = false
            }
            SCardDisconnect(handle, disposition)
        }
    }

    /// Called before every command that can leave the PIN verified (VERIFY, CHANGE REFERENCE
    /// DATA, RESET RETRY COUNTER). Where pcscd lets every local user talk to the card, another
    /// user's connection could send its own ECDH between our VERIFY and our close, or after it:
    /// so from here on we hold a PC/SC transaction (others' commands wait), and close resets the
    /// card inside it. libykpiv's own per-command transactions nest inside ours.
    private func fenceVerification() throws {
        guard PINRetentionPolicy.current == .resetAfterUse else { return }
        resetOnClose = true
        guard !inTransaction else { return }
        let rc = Int(SCardBeginTransaction(handle))
        guard rc == PCSCStatus.success else {
            if PCSCStatus.serviceGone.contains(rc) { throw PIVError.pcscdNotRunning }
            if PCSCStatus.gone.contains(rc) { throw removed }
            throw PIVError.pcsc(operation: "SCardBeginTransaction", code: rc)
        }
        inTransaction = true
    }

    // MARK: - Transport

    /// Sends one command (chained by libykpiv when `data` exceeds 255 bytes; `61xx` replies are
    /// collected with GET RESPONSE) and returns the reply data and status word.
    func transmit(_ ins: UInt8, _ p1: UInt8, _ p2: UInt8, _ data: [UInt8] = [], operation: String) throws -> ([UInt8], StatusWord) {
        guard let st = state else { throw removed }
        let template: [UInt8] = [0x00, ins, p1, p2]
        var out = [UInt8](repeating: 0, count: 4096)
        var outLength: UInt = UInt(out.count)
        var sw: Int32 = 0
        let rc = data.withUnsafeBufferPointer { input in
            ykpiv_transfer_data(st, template, input.baseAddress, data.count, &out, &outLength, &sw)
        }
        guard rc == YKPIV_OK else { throw failure(of: operation, rc) }
        // libykpiv reports a transmit that failed mid-chain (card pulled while it was working) as
        // success with no status word: ask PC/SC whether the card is still there, giving pcscd
        // a moment to notice a removal that raced the transfer.
        if sw == 0 {
            if let gone = whatWentAway() { throw gone }
            if context.waitForRemoval(from: reader, milliseconds: 2000) { throw whatWentAway() ?? removed }
            throw PIVError.malformedResponse("\(operation) returned no status word")
        }
        let reply = Array(out[0..<Int(outLength)])
        zeroize(&out)  // the reply may hold a PIN-protected secret (ECDH share, management key)
        return (reply, StatusWord(UInt16(truncatingIfNeeded: sw)))
    }

    /// Turns a libykpiv failure into the most useful error: a card that vanished is reported as
    /// removed, anything else keeps libykpiv's code.
    func failure(of operation: String, _ rc: ykpiv_rc) -> PIVError {
        if rc == YKPIV_PCSC_ERROR {
            return whatWentAway() ?? .pcsc(operation: operation, code: context.status(of: handle))
        }
        return .library(operation: operation, code: rc.rawValue)
    }

    /// After a failed transmit: pcscd stopped (its socket is gone), or the card was pulled or
    /// reset; nil while both are still there.
    private func whatWentAway() -> PIVError? {
        let status = context.status(of: handle)
        if status == PCSCStatus.success { return nil }
        if PCSCStatus.serviceGone.contains(status) { return .pcscdNotRunning }
        return removed
    }

    /// "This card was removed", naming it when its serial is known.
    private var removed: PIVError { .cardRemoved(serial: serial == 0 ? nil : serial) }

    func expectOK(_ reply: ([UInt8], StatusWord), _ operation: String) throws -> [UInt8] {
        guard reply.1 == .ok else { throw PIVError.cardError(operation: operation, status: reply.1.rawValue) }
        return reply.0
    }

    var libykpiv: OpaquePointer {
        get throws {
            guard let st = state else { throw removed }
            return st
        }
    }

    // MARK: - Identity

    private func selectPIV() throws {
        let reply = try transmit(0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x03, 0x08], operation: "SELECT PIV")
        guard reply.1 == .ok else { throw PIVError.notPIV(reader: reader) }
    }

    private func readIdentity() throws {
        let v = try expectOK(transmit(0xFD, 0x00, 0x00, operation: "GET VERSION"), "GET VERSION")
        guard v.count >= 3 else { throw PIVError.malformedResponse("GET VERSION returned \(v.count) bytes") }
        version = FirmwareVersion(v[0], v[1], v[2])
        if version.major >= 5 {
            let s = try expectOK(transmit(0xF8, 0x00, 0x00, operation: "GET SERIAL"), "GET SERIAL")
            guard s.count >= 4 else { throw PIVError.malformedResponse("GET SERIAL returned \(s.count) bytes") }
            serial = s[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
        } else {
            // YubiKey 4: the serial lives in the OTP applet. Selecting it drops the PIV session
            // (PIN state), which is harmless here because we have not verified anything yet.
            _ = try transmit(0xA4, 0x04, 0x00, [0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01, 0x01], operation: "SELECT OTP")
            let (s, sw) = try transmit(0x01, 0x10, 0x00, operation: "OTP serial")
            if sw == .ok, s.count >= 4 { serial = s[0..<4].reduce(0) { $0 << 8 | UInt32($1) } }
            try selectPIV()
        }
    }

    // MARK: - Slots

    /// What GET METADATA says about a key slot.
    public struct SlotMetadata: Sendable, Equatable {
        public var algorithm: UInt8
        public var pinPolicy: PINPolicy?
        public var touchPolicy: TouchPolicy?
        /// 1 generated on the card, 2 imported.
        public var origin: UInt8?
        /// The uncompressed EC point `04 ‖ X ‖ Y` for EC keys.
        public var publicKey: [UInt8]?
    }

    /// Metadata of a key slot: nil when the slot is empty. Throws `.cardError(…6D00)` on firmware
    /// before 5.3 — callers check `version.hasMetadata` first.
    public func metadata(slot: PIVSlot) throws -> SlotMetadata? {
        let (data, sw) = try transmit(0xF7, 0x00, slot.rawValue, operation: "GET METADATA")
        if sw == .referenceNotFound { return nil }
        guard sw == .ok else { throw PIVError.cardError(operation: "GET METADATA \(slot)", status: sw.rawValue) }
        var meta = SlotMetadata(algorithm: 0)
        for (tag, value) in try TLV.parse(data) {
            switch tag {
            case 0x01: meta.algorithm = value.first ?? 0
            case 0x02 where value.count >= 2:
                meta.pinPolicy = PINPolicy(rawValue: value[0])
                meta.touchPolicy = TouchPolicy(rawValue: value[1])
            case 0x03: meta.origin = value.first
            case 0x04: meta.publicKey = try TLV.find(0x86, in: value)
            default: break
            }
        }
        return meta
    }

    /// The DER certificate stored for `slot`, or nil when the object is absent or empty.
    public func certificate(slot: PIVSlot) throws -> [UInt8]? {
        guard let content = try getData(slot.certificateObject) else { return nil }
        if content.isEmpty { return nil }
        return try TLV.find(0x70, in: content)
    }

    /// The content (inside tag 53) of a data object, or nil when absent.
    public func getData(_ object: UInt32) throws -> [UInt8]? {
        let request: [UInt8] = [0x5C, 0x03, UInt8(object >> 16), UInt8(object >> 8 & 0xFF), UInt8(object & 0xFF)]
        let (data, sw) = try transmit(0xCB, 0x3F, 0xFF, request, operation: "GET DATA")
        if sw == .fileNotFound { return nil }
        if sw == .securityStatusNotSatisfied { throw PIVError.pinRequired(serial: serial) }
        guard sw == .ok else { throw PIVError.cardError(operation: "GET DATA \(String(object, radix: 16))", status: sw.rawValue) }
        if data.isEmpty { return [] }
        guard let content = try TLV.find(0x53, in: data) else { throw PIVError.malformedResponse("data object without tag 53") }
        return content
    }

    /// Writes a data object (needs management-key authentication). Empty `content` deletes it.
    public func putData(_ object: UInt32, _ content: [UInt8]) throws {
        let request: [UInt8] = [0x5C, 0x03, UInt8(object >> 16), UInt8(object >> 8 & 0xFF), UInt8(object & 0xFF)] + TLV.encode(0x53, content)
        let (_, sw) = try transmit(0xDB, 0x3F, 0xFF, request, operation: "PUT DATA")
        guard sw == .ok else { throw PIVError.cardError(operation: "PUT DATA \(String(object, radix: 16))", status: sw.rawValue) }
    }

    /// Stores `der` as the slot's certificate, in the layout every PIV client reads.
    public func writeCertificate(_ der: [UInt8], slot: PIVSlot) throws {
        try putData(slot.certificateObject, TLV.encode(0x70, der) + [0x71, 0x01, 0x00, 0xFE, 0x00])
    }

    // MARK: - PIN and PUK

    /// Whether the PIN is verified in this card session, asked with an empty VERIFY that costs no
    /// retry. Firmware 5.3.1 clears the PIN state on this probe (Teleport #36427), so there we
    /// answer "no" without asking.
    public func isPINVerified() throws -> Bool {
        if version == FirmwareVersion(5, 3, 1) { return false }
        let (_, sw) = try transmit(0x20, 0x00, 0x80, operation: "VERIFY (status)")
        if sw == .ok { return true }
        if sw == .authenticationBlocked { throw PIVError.pinBlocked }
        return false
    }

    /// PIN tries left (empty VERIFY), or nil when the PIN is currently verified.
    public func pinTriesLeft() throws -> Int? {
        let (_, sw) = try transmit(0x20, 0x00, 0x80, operation: "VERIFY (status)")
        if sw == .authenticationBlocked { return 0 }
        return sw.triesLeft
    }

    /// VERIFY. A wrong PIN throws with the tries left; never retried here.
    public func verifyPIN(_ pin: [UInt8]) throws {
        try PINRules.check(pin, what: "PIN")
        try fenceVerification()
        var padded = PINPadding.pad(pin)
        defer { wipe(&padded) }
        let (_, sw) = try transmit(0x20, 0x00, 0x80, padded, operation: "VERIFY")
        if sw == .ok { return }
        if sw == .authenticationBlocked { throw PIVError.pinBlocked }
        if let tries = sw.triesLeft { throw tries == 0 ? PIVError.pinBlocked : PIVError.wrongPIN(triesLeft: tries) }
        throw PIVError.cardError(operation: "VERIFY", status: sw.rawValue)
    }

    /// CHANGE REFERENCE DATA for the PIN (`puk == false`) or the PUK.
    public func changeReference(puk: Bool, old: [UInt8], new: [UInt8]) throws {
        let what = puk ? "PUK" : "PIN"
        try PINRules.check(old, what: "current \(what)")
        try PINRules.check(new, what: "new \(what)", minimum: 6)
        try fenceVerification()
        var data = PINPadding.pad(old) + PINPadding.pad(new)
        defer { wipe(&data) }
        let (_, sw) = try transmit(0x24, 0x00, puk ? 0x81 : 0x80, data, operation: "CHANGE REFERENCE DATA")
        if sw == .ok { return }
        if sw == .authenticationBlocked { throw puk ? PIVError.pukBlocked : PIVError.pinBlocked }
        if let tries = sw.triesLeft {
            if tries == 0 { throw puk ? PIVError.pukBlocked : PIVError.pinBlocked }
            throw puk ? PIVError.wrongPUK(triesLeft: tries) : PIVError.wrongPIN(triesLeft: tries)
        }
        if sw == .incorrectData { throw PIVError.invalidPIN("the card refused the new \(what): use 6 to 8 characters") }
        throw PIVError.cardError(operation: "CHANGE REFERENCE DATA", status: sw.rawValue)
    }

    /// RESET RETRY COUNTER: sets a new PIN with the PUK, unblocking the PIN.
    public func unblockPIN(puk: [UInt8], newPIN: [UInt8]) throws {
        try PINRules.check(puk, what: "PUK")
        try PINRules.check(newPIN, what: "new PIN", minimum: 6)
        try fenceVerification()
        var data = PINPadding.pad(puk) + PINPadding.pad(newPIN)
        defer { wipe(&data) }
        let (_, sw) = try transmit(0x2C, 0x00, 0x80, data, operation: "RESET RETRY COUNTER")
        if sw == .ok { return }
        if sw == .authenticationBlocked { throw PIVError.pukBlocked }
        if let tries = sw.triesLeft { throw tries == 0 ? PIVError.pukBlocked : PIVError.wrongPUK(triesLeft: tries) }
        throw PIVError.cardError(operation: "RESET RETRY COUNTER", status: sw.rawValue)
    }

    // MARK: - Private-key operations

    /// ECDH with the P-256 key in `slot`: `peer` is the other party's uncompressed point
    /// (`04 ‖ X ‖ Y`), the result the 32-byte X coordinate of the shared point. Blocks until the
    /// card answers — which, with a touch policy, is when the user touches it; `touchWait` is
    /// called if that takes longer than half a second.
    /// `policies` (when known) sharpen the error for a refused operation: PIN missing or touch
    /// missing.
    public func ecdh(slot: PIVSlot, peer: [UInt8], policies: (PINPolicy?, TouchPolicy?) = (nil, nil),
                     touchWait: (() -> Void)? = nil) throws -> [UInt8] {
        guard peer.count == 65, peer[0] == 0x04 else { throw PIVError.malformedResponse("peer point is not an uncompressed P-256 point") }
        let request = TLV.encode(0x7C, [0x82, 0x00] + TLV.encode(0x85, peer))
        let reply = try privateKeyOperation(request, slot: slot, name: "ECDH", policies: policies, touchWait: touchWait)
        guard reply.count == 32 else { throw PIVError.malformedResponse("ECDH returned \(reply.count) bytes, want 32") }
        return reply
    }

    /// ECDSA over a SHA-256 digest with the P-256 key in `slot`; returns the DER signature.
    public func sign(slot: PIVSlot, digest: [UInt8], policies: (PINPolicy?, TouchPolicy?) = (nil, nil),
                     touchWait: (() -> Void)? = nil) throws -> [UInt8] {
        guard digest.count == 32 else { throw PIVError.malformedResponse("digest must be 32 bytes") }
        let request = TLV.encode(0x7C, [0x82, 0x00] + TLV.encode(0x81, digest))
        return try privateKeyOperation(request, slot: slot, name: "signature", policies: policies, touchWait: touchWait)
    }

    func privateKeyOperation(_ request: [UInt8], algorithm: UInt8 = PIVAlgorithm.eccP256, slot: PIVSlot, name: String,
                             policies: (PINPolicy?, TouchPolicy?), touchWait: (() -> Void)?) throws -> [UInt8] {
        privateKeyOperations += 1
        let watch = TouchWatch(after: 0.5, notify: touchWait)
        let (data, sw) = try withExtendedLifetime(watch) {
            defer { watch.finish() }
            return try transmit(0x87, algorithm, slot.rawValue, request, operation: name)
        }
        switch sw {
        case .ok:
            guard let template = try TLV.find(0x7C, in: data), let value = try TLV.find(0x82, in: template) else {
                throw PIVError.malformedResponse("\(name) reply lacks the 7C/82 template")
            }
            return value
        case .securityStatusNotSatisfied:
            // Either the PIN or the touch was missing: the policies and the PIN state tell which.
            let (pinPolicy, touchPolicy) = policies
            if touchPolicy == .never { throw PIVError.pinRequired(serial: serial) }
            let pinSatisfied = pinPolicy == .never || watch.fired || (try? isPINVerified()) == true
            if pinSatisfied { throw PIVError.touchTimeout(serial: serial) }
            throw PIVError.pinRequired(serial: serial)
        case .referenceNotFound:
            throw PIVError.slotEmpty(serial: serial, slot: slot.rawValue)
        case .incorrectData:
            throw PIVError.cardError(operation: "\(name) (the card rejected the input or the slot is not P-256)", status: sw.rawValue)
        default:
            throw PIVError.cardError(operation: name, status: sw.rawValue)
        }
    }

    // MARK: - Key generation

    /// GENERATE ASYMMETRIC KEY PAIR (P-256) with the given policies, through libykpiv. Needs
    /// management-key authentication. Returns the uncompressed public point.
    public func generateP256(slot: PIVSlot, pinPolicy: PINPolicy, touchPolicy: TouchPolicy) throws -> [UInt8] {
        let st = try libykpiv
        var modulus: UnsafeMutablePointer<UInt8>?, exponent: UnsafeMutablePointer<UInt8>?, point: UnsafeMutablePointer<UInt8>?
        var modulusLength = 0, exponentLength = 0, pointLength = 0
        let rc = ykpiv_util_generate_key(st, slot.rawValue, PIVAlgorithm.eccP256, pinPolicy.rawValue, touchPolicy.rawValue,
                                         &modulus, &modulusLength, &exponent, &exponentLength, &point, &pointLength)
        defer {
            if let modulus { ykpiv_util_free(st, modulus) }
            if let exponent { ykpiv_util_free(st, exponent) }
            if let point { ykpiv_util_free(st, point) }
        }
        switch rc {
        case YKPIV_OK: break
        case YKPIV_AUTHENTICATION_ERROR: throw PIVError.managementKeyAuthenticationFailed(serial: serial)
        default: throw failure(of: "GENERATE ASYMMETRIC KEY PAIR", rc)
        }
        guard let point, pointLength == 65 else { throw PIVError.malformedResponse("GENERATE returned no P-256 point") }
        return Array(UnsafeBufferPointer(start: point, count: pointLength))
    }
}

/// Shape rules for PINs and PUKs checked before anything reaches the card, so a typo never costs
/// a retry: 1–8 bytes for what the card compares, 6–8 for what we set.
enum PINRules {
    static func check(_ secret: [UInt8], what: String, minimum: Int = 1) throws {
        if secret.isEmpty { throw PIVError.invalidPIN("the \(what) is empty: enter it again") }
        if secret.count > 8 { throw PIVError.invalidPIN("the \(what) is longer than 8 characters: enter it again") }
        if secret.count < minimum { throw PIVError.invalidPIN("the \(what) is shorter than \(minimum) characters: choose 6 to 8 characters") }
    }
}
