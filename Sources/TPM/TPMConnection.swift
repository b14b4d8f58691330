import CTSS2
#if canImport(Glibc)
import Glibc
#endif

/// One open ESYS context over one TCTI. Every operation keyrack makes opens one, uses it for a
/// handful of commands and closes it: the resource manager (/dev/tpmrm0) then flushes whatever a
/// crash left behind, and no handle outlives the process.
final class TPMConnection {
    let tcti: String
    private(set) var context: OpaquePointer
    private var transport: OpaquePointer?
    /// Handles to flush on close, newest first.
    private var transient: [ESYS_TR] = []

    init(tcti: String) throws {
        self.tcti = tcti
        // libtss2 logs warnings (a refused connection, every TPM error) to stderr unless told
        // otherwise, and reads only this variable: our errors say it once, in one line. A user
        // who sets TSS2_LOG (to debug the stack) keeps theirs.
        setenv("TSS2_LOG", "all+NONE", 0)
        try TPMConnection.precheck(tcti)
        var transport: OpaquePointer?
        let rc = Tss2_TctiLdr_Initialize(tcti, &transport)
        guard rc == TSS2_RC_SUCCESS, let transport else {
            throw TPMError.unreachable(tcti: tcti, detail: ResponseCode.text(rc))
        }
        var context: OpaquePointer?
        let erc = Esys_Initialize(&context, transport, nil)
        guard erc == TSS2_RC_SUCCESS, let context else {
            var t: OpaquePointer? = transport
            Tss2_TctiLdr_Finalize(&t)
            throw TPMError.unreachable(tcti: tcti, detail: ResponseCode.text(erc))
        }
        self.transport = transport
        self.context = context
    }

    /// A device TCTI that is absent or closed to this user says so in words, not as a TCTI code.
    private static func precheck(_ tcti: String) throws {
        guard tcti.hasPrefix("device:") || tcti == "device" else { return }
        let path = tcti == "device" ? "/dev/tpmrm0" : String(tcti.dropFirst("device:".count))
        guard access(path, F_OK) == 0 else { throw TPMError.noTPM(tcti: tcti) }
        guard access(path, R_OK | W_OK) == 0 else { throw TPMError.permissionDenied(path: path) }
    }

    /// Remembers a transient object or session to flush when the connection closes.
    func track(_ handle: ESYS_TR) { transient.insert(handle, at: 0) }

    func flush(_ handle: ESYS_TR) {
        transient.removeAll { $0 == handle }
        _ = Esys_FlushContext(context, handle)
    }

    deinit {
        for handle in transient { _ = Esys_FlushContext(context, handle) }
        var c: OpaquePointer? = context
        Esys_Finalize(&c)
        Tss2_TctiLdr_Finalize(&transport)
    }

    /// Turns a failed response into the error callers act on.
    func check(_ rc: TSS2_RC, _ operation: String) throws {
        guard rc != TSS2_RC_SUCCESS else { return }
        if ResponseCode.isTransport(rc) { throw TPMError.unreachable(tcti: tcti, detail: "\(operation): \(ResponseCode.text(rc))") }
        if ResponseCode.isLockout(rc) { throw TPMError.lockout(secondsPerTry: (try? lockoutStatus())?.secondsPerTry) }
        if ResponseCode.isAuthFail(rc) || ResponseCode.isBadAuth(rc) {
            throw TPMError.wrongPIN(triesLeft: (try? lockoutStatus())?.triesLeft)
        }
        throw TPMError.command(operation: operation, code: rc, text: ResponseCode.text(rc))
    }

    /// TPM properties from `first` on (TPM2_GetCapability, TPM_PROPERTIES), as a table.
    func properties(from first: TPM2_PT, count: UInt32) throws -> [TPM2_PT: UInt32] {
        var more: TPMI_YES_NO = 0
        var data: UnsafeMutablePointer<TPMS_CAPABILITY_DATA>?
        try check(Esys_GetCapability(context, ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE), ESYS_TR(ESYS_TR_NONE),
                                     TPMConst.capProperties, first, count, &more, &data), "GetCapability")
        defer { Esys_Free(data) }
        guard let data else { return [:] }
        var table: [TPM2_PT: UInt32] = [:]
        let list = data.pointee.data.tpmProperties
        withUnsafeBytes(of: list.tpmProperty) { raw in
            let props = raw.bindMemory(to: TPMS_TAGGED_PROPERTY.self)
            for i in 0..<min(Int(list.count), props.count) { table[props[i].property] = props[i].value }
        }
        return table
    }

    func lockoutStatus() throws -> TPMLockoutStatus {
        let p = try properties(from: TPMConst.ptPermanent, count: 18)
        return TPMLockoutStatus(inLockout: (p[TPMConst.ptPermanent] ?? 0) & TPMConst.permanentInLockout != 0,
                                failedTries: Int(p[TPMConst.ptLockoutCounter] ?? 0), maxTries: Int(p[TPMConst.ptMaxAuthFail] ?? 0),
                                secondsPerTry: Int(p[TPMConst.ptLockoutInterval] ?? 0),
                                lockoutRecoverySeconds: Int(p[TPMConst.ptLockoutRecovery] ?? 0))
    }
}

/// The dictionary-attack state (TPM 2.0 Part 1, 19.8): every wrong authValue of a key without
/// `noDA` counts; at `maxTries` the TPM locks such keys out, and one try comes back every
/// `secondsPerTry`.
public struct TPMLockoutStatus: Equatable, Sendable {
    public var inLockout: Bool
    public var failedTries: Int
    public var maxTries: Int
    public var secondsPerTry: Int
    public var lockoutRecoverySeconds: Int
    public var triesLeft: Int { max(0, maxTries - failedTries) }
}
