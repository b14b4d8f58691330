import CPCSC

// The PC/SC calls libykpiv does not make for us: finding readers and cards with precise errors
// (libykpiv folds "pcscd is not running", "sharing violation" and "no card" into one
// YKPIV_PCSC_ERROR), and owning the connection so we choose how to leave the card
// (SCARD_LEAVE_CARD keeps the PIN verified for the next operation, see PINRetention; libykpiv
// always resets).

/// pcsc-lite's error codes. On 64-bit Linux LONG is `long`, so these are positive Ints.
enum PCSCStatus {
    static let success = 0
    static let cancelled = 0x8010_0002
    static let noSmartcard = 0x8010_000C
    static let sharingViolation = 0x8010_000B
    static let protoMismatch = 0x8010_000F
    static let readerUnavailable = 0x8010_0017
    static let noService = 0x8010_001D
    static let serviceStopped = 0x8010_001E
    static let noReadersAvailable = 0x8010_002E
    static let unresponsiveCard = 0x8010_0066
    static let unpoweredCard = 0x8010_0067
    static let resetCard = 0x8010_0068
    static let removedCard = 0x8010_0069
    static let timeout = 0x8010_000A
    static let unknownReader = 0x8010_0009

    static let commError = 0x8010_0013

    /// Codes that mean "pcscd is not there any more" (its socket closed under us).
    static let serviceGone: Set<Int> = [noService, serviceStopped, commError]

    /// Codes that mean "the card is not there any more".
    static let gone: Set<Int> = [noSmartcard, readerUnavailable, removedCard, unknownReader, unpoweredCard, unresponsiveCard]
}

enum PCSCConstant {
    static let scopeSystem: DWORD = 2
    static let shareShared: DWORD = 2
    static let protocolT1: DWORD = 2
    static let leaveCard: DWORD = 0
    static let resetCard: DWORD = 1
    static let statePresent: DWORD = 0x0020
    static let stateMute: DWORD = 0x0200
    static let stateChanged: DWORD = 0x0002
    static let stateExclusive: DWORD = 0x0080
}

/// One PC/SC context. Cheap; made per operation so a pcscd restart between operations is harmless.
final class PCSCContext {
    let handle: SCARDCONTEXT

    init() throws {
        var ctx: SCARDCONTEXT = 0
        let rc = Int(SCardEstablishContext(PCSCConstant.scopeSystem, nil, nil, &ctx))
        guard rc == PCSCStatus.success else {
            if rc == PCSCStatus.noService || rc == PCSCStatus.serviceStopped { throw PIVError.pcscdNotRunning }
            throw PIVError.pcsc(operation: "SCardEstablishContext", code: rc)
        }
        handle = ctx
    }

    deinit { SCardReleaseContext(handle) }

    /// Reader names, in pcscd's order. No reader at all is not an error here: it is an empty list.
    func readers() throws -> [String] {
        var length: DWORD = 0
        var rc = Int(SCardListReaders(handle, nil, nil, &length))
        if rc == PCSCStatus.noReadersAvailable { return [] }
        guard rc == PCSCStatus.success else { throw PCSCContext.error(rc, "SCardListReaders") }
        var buffer = [CChar](repeating: 0, count: Int(length))
        rc = Int(SCardListReaders(handle, nil, &buffer, &length))
        if rc == PCSCStatus.noReadersAvailable { return [] }
        guard rc == PCSCStatus.success else { throw PCSCContext.error(rc, "SCardListReaders") }
        return buffer.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }

    /// Whether `reader` holds a powered, responsive card right now (no waiting).
    func cardPresent(in reader: String) -> Bool {
        reader.withCString { name -> Bool in
            var state = SCARD_READERSTATE()
            state.szReader = name
            state.dwCurrentState = 0
            let rc = Int(SCardGetStatusChange(handle, 0, &state, 1))
            guard rc == PCSCStatus.success || rc == PCSCStatus.timeout else { return false }
            return state.dwEventState & PCSCConstant.statePresent != 0 && state.dwEventState & PCSCConstant.stateMute == 0
        }
    }

    /// Waits (in pcscd, event-driven) up to `milliseconds` for `reader` to lose its card; true
    /// when it did. A card pulled mid-command can fail the transfer before pcscd has noticed the
    /// removal, so "is it still there?" asked at once would wrongly answer yes.
    func waitForRemoval(from reader: String, milliseconds: Int) -> Bool {
        reader.withCString { name -> Bool in
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .milliseconds(milliseconds))
            var state = SCARD_READERSTATE()
            state.szReader = name
            state.dwCurrentState = 0
            while true {
                let left = clock.now.duration(to: deadline).components
                let wait = max(0, Int(left.seconds) * 1000 + Int(left.attoseconds / 1_000_000_000_000_000))
                let rc = Int(SCardGetStatusChange(handle, DWORD(wait), &state, 1))
                guard rc == PCSCStatus.success || rc == PCSCStatus.timeout else { return true }
                if state.dwEventState & PCSCConstant.statePresent == 0 || state.dwEventState & PCSCConstant.stateMute != 0 { return true }
                if rc == PCSCStatus.timeout || wait == 0 { return false }
                state.dwCurrentState = state.dwEventState & ~PCSCConstant.stateChanged
            }
        }
    }

    /// Connects shared, T=1, as every PIV client that coexists with others does.
    func connect(_ reader: String) throws -> SCARDHANDLE {
        var card: SCARDHANDLE = 0
        var proto: DWORD = 0
        let rc = Int(SCardConnect(handle, reader, PCSCConstant.shareShared, PCSCConstant.protocolT1, &card, &proto))
        guard rc == PCSCStatus.success else {
            if rc == PCSCStatus.sharingViolation { throw PIVError.cardBusy(reader: reader) }
            if PCSCStatus.gone.contains(rc) { throw PIVError.cardRemoved(serial: nil) }
            throw PCSCContext.error(rc, "SCardConnect")
        }
        return card
    }

    /// The status of a connected card, as a PC/SC code (success while the card is still there).
    func status(of card: SCARDHANDLE) -> Int {
        var readerLength: DWORD = 0
        var state: DWORD = 0
        var proto: DWORD = 0
        var atr = [UInt8](repeating: 0, count: 36)
        var atrLength = DWORD(atr.count)
        return Int(SCardStatus(card, nil, &readerLength, &state, &proto, &atr, &atrLength))
    }

    static func error(_ rc: Int, _ operation: String) -> PIVError {
        if rc == PCSCStatus.noService { return .pcscdNotRunning }
        return .pcsc(operation: operation, code: rc)
    }
}
