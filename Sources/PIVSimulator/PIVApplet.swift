// The simulated YubiKey 5 PIV applet: one entry point, `process(apdu:)`, bytes in, bytes out.
//
// This file holds the transport rules every instruction shares (APDU parsing, class byte,
// command chaining, 61xx/GET RESPONSE, security-state bookkeeping); each instruction family
// lives in its own `PIVApplet+….swift`. The applet never traps on input: every failure is a
// status word, so a fuzzer can drive `process` directly.

import Foundation

/// Volatile card state: cleared by power-off and reset, as on a real card.
struct Session {
    enum Applet { case none, piv, management, otp }
    enum PendingManagementAuth: Equatable {
        case none
        /// Mutual: the plaintext the host must return after decrypting our witness.
        case mutual(expected: [UInt8])
        /// External: the challenge we sent; the host must return it encrypted.
        case external(challenge: [UInt8])
    }
    struct Chain {
        var ins: UInt8, p1: UInt8, p2: UInt8
        var data: [UInt8]
    }

    var selected: Applet = .none
    var pinVerified = false
    /// True only while processing the APDU right after a successful VERIFY (PIN policy always).
    var pinJustVerified = false
    var managementAuthenticated = false
    var pendingManagement: PendingManagementAuth = .none
    var chain: Chain?
    var pendingResponse: [UInt8] = []
    var lastTouch: Date?

    /// Security state dropped when another applet is selected (the session ends).
    mutating func dropSecurity() {
        pinVerified = false
        pinJustVerified = false
        managementAuthenticated = false
        pendingManagement = .none
    }
}

public final class PIVApplet {
    /// The YubiKey 5 NFC ATR: libykpiv recognises the model, and it offers T=1.
    public static let atr: [UInt8] = [0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0,
                                      0x21, 0xC0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40]
    /// Largest data field of one response; more is chained with 61xx (libykpiv's buffers are 261 bytes).
    static let maxResponseData = 256
    /// Largest command data a chain may accumulate (objects are ≤ 3072 bytes plus their TLV header).
    static let maxChainedData = 4096

    public private(set) var state: CardState
    var session = Session()
    /// Consulted whenever an operation needs a touch; returns the current simulated behaviour.
    public var touchMode: () -> TouchMode
    /// Called after every command that changed persistent state (the executable saves it).
    public var onStateChange: ((CardState) -> Void)?
    /// Waits out a touch delay; returns false to abandon it (the executable stops waiting when the
    /// card is being pulled out, so a removal mid-operation is immediate).
    public var waitForTouch: (_ milliseconds: Int) -> Bool = { ms in
        Thread.sleep(forTimeInterval: Double(ms) / 1000)
        return true
    }
    /// Injected clock so tests can step over the 15 s cached-touch window.
    public var now: () -> Date = Date.init
    /// Optional observer of each command header and its status word (never data: PINs travel in data).
    public var trace: (([UInt8], String) -> Void)?

    public init(state: CardState, touch: @escaping () -> TouchMode = { .auto }) {
        self.state = state
        self.touchMode = touch
    }

    // MARK: Power

    /// vpcd `00`: power off. Everything volatile is gone.
    public func powerOff() { session = Session() }
    /// vpcd `01`: power on.
    public func powerOn() { session = Session() }
    /// vpcd `02`: warm reset (what libykpiv's `ykpiv_done` causes).
    public func reset() {
        let touch = session.lastTouch
        session = Session()
        session.lastTouch = touch
    }

    // MARK: APDU entry point

    /// Processes one command APDU and returns the response APDU (data ‖ SW1 SW2).
    public func process(apdu: [UInt8]) -> [UInt8] {
        let before = state
        let response = processCommand(apdu)
        if let trace, apdu.count >= 4, response.count >= 2 {
            trace(Array(apdu.prefix(4)), StatusWord(response[response.count - 2], response[response.count - 1]).description)
        }
        if state != before { onStateChange?(state) }
        return response
    }

    private func processCommand(_ bytes: [UInt8]) -> [UInt8] {
        let command: CommandAPDU
        do { command = try CommandAPDU(bytes) } catch {
            session.chain = nil
            return (error as? StatusWord ?? .wrongLength).bytes
        }
        guard command.cla & ~0x10 == 0 else { return StatusWord.claNotSupported.bytes }

        if command.ins == 0xC0 && !command.isChained { return getResponse(command) }
        session.pendingResponse = []

        // Command chaining: collect segments flagged CLA 10; the final CLA 00 segment runs it.
        var full = command
        if command.isChained {
            if let c = session.chain, c.ins == command.ins, c.p1 == command.p1, c.p2 == command.p2 {
                session.chain!.data += command.data
            } else {
                session.chain = Session.Chain(ins: command.ins, p1: command.p1, p2: command.p2, data: command.data)
            }
            if session.chain!.data.count > PIVApplet.maxChainedData {
                session.chain = nil
                return StatusWord.notEnoughMemory.bytes
            }
            return StatusWord.ok.bytes
        }
        if let c = session.chain {
            session.chain = nil
            if c.ins == command.ins, c.p1 == command.p1, c.p2 == command.p2 {
                full.data = c.data + command.data
            }
        }
        guard full.data.count <= PIVApplet.maxChainedData else { return StatusWord.wrongLength.bytes }

        let justVerified = session.pinJustVerified
        session.pinJustVerified = false
        let pending = session.pendingManagement
        session.pendingManagement = .none
        do {
            let data = try dispatch(full, justVerified: justVerified, pendingManagement: pending)
            return respond(data)
        } catch let sw as StatusWord {
            return sw.bytes
        } catch {
            return StatusWord.incorrectData.bytes
        }
    }

    private func dispatch(_ c: CommandAPDU, justVerified: Bool,
                          pendingManagement: Session.PendingManagementAuth) throws -> [UInt8] {
        if c.ins == 0xA4 { return try select(c) }
        switch session.selected {
        case .piv: break
        case .otp: return try otpCommand(c)
        case .management: return try managementCommand(c)
        default: throw StatusWord.insNotSupported
        }
        switch c.ins {
        case 0xFD: return state.version
        case 0xF8: return state.serial.bigEndianBytes
        case 0xF7: return try getMetadata(c)
        case 0x20: return try verify(c)
        case 0x24: return try changeReference(c)
        case 0x2C: return try resetRetryCounter(c)
        case 0xFA: return try setPINRetries(c)
        case 0xFB: return try resetApplet(c)
        case 0x87: return try generalAuthenticate(c, justVerified: justVerified, pending: pendingManagement)
        case 0xFF: return try setManagementKey(c)
        case 0x47: return try generateKey(c)
        case 0xFE: return try importKey(c)
        case 0xCB: return try getData(c)
        case 0xDB: return try putData(c)
        case 0xF9: return try attest(c)
        case 0xF6: return try moveKey(c)
        default: throw StatusWord.insNotSupported
        }
    }

    // MARK: Response chaining

    /// Returns at most 256 data bytes; the rest waits for GET RESPONSE behind `61xx`.
    private func respond(_ data: [UInt8]) -> [UInt8] {
        if data.count <= PIVApplet.maxResponseData { return data + StatusWord.ok.bytes }
        session.pendingResponse = Array(data[PIVApplet.maxResponseData...])
        return Array(data[..<PIVApplet.maxResponseData]) + StatusWord.moreData(session.pendingResponse.count).bytes
    }

    private func getResponse(_ c: CommandAPDU) -> [UInt8] {
        guard !session.pendingResponse.isEmpty else { return StatusWord.conditionsNotSatisfied.bytes }
        guard c.p1 == 0, c.p2 == 0 else {
            session.pendingResponse = []
            return StatusWord.incorrectP1P2.bytes
        }
        let n = min(c.le ?? PIVApplet.maxResponseData, PIVApplet.maxResponseData, session.pendingResponse.count)
        let chunk = Array(session.pendingResponse[..<n])
        session.pendingResponse.removeFirst(n)
        let sw = session.pendingResponse.isEmpty ? StatusWord.ok : .moreData(session.pendingResponse.count)
        return chunk + sw.bytes
    }

    // MARK: Shared checks

    /// Mutates persistent state (callers never touch `state` directly, so every change is seen).
    func update(_ body: (inout CardState) -> Void) { body(&state) }

    func requireManagementAuthenticated() throws {
        guard session.managementAuthenticated else { throw StatusWord.securityStatusNotSatisfied }
    }

    /// Waits for the simulated touch; false when it is refused or times out.
    func awaitTouch() -> Bool {
        switch touchMode() {
        case .auto: break
        case .deny: return false
        case .delay(let ms): guard waitForTouch(ms) else { return false }
        }
        session.lastTouch = now()
        update { $0.touchCount += 1 }
        return true
    }

    /// Touch policy check for one private-key (or management-key) operation.
    func requireTouch(policy: UInt8) throws {
        switch policy {
        case TouchPolicy.always:
            guard awaitTouch() else { throw StatusWord.securityStatusNotSatisfied }
        case TouchPolicy.cached:
            if let last = session.lastTouch, now().timeIntervalSince(last) < 15 { return }
            guard awaitTouch() else { throw StatusWord.securityStatusNotSatisfied }
        default:
            return
        }
    }
}
