import CTSS2

/// TPM 2.0 constants whose C macros are casts or sums, which Swift does not import.
enum TPMConst {
    static let algECC: TPM2_ALG_ID = 0x0023
    static let algSHA256: TPM2_ALG_ID = 0x000B
    static let algAES: TPM2_ALG_ID = 0x0006
    static let algCFB: TPM2_ALG_ID = 0x0043
    static let algNull: TPM2_ALG_ID = 0x0010
    static let algECDH: TPM2_ALG_ID = 0x0019
    static let algECDSA: TPM2_ALG_ID = 0x0018
    static let curveP256: TPM2_ECC_CURVE = 0x0003
    static let sessionHMAC: TPM2_SE = 0x00
    static let stHashCheck: TPM2_ST = 0x8024
    static let rhNull: TPMI_RH_HIERARCHY = 0x4000_0007

    static let fixedTPM: TPMA_OBJECT = 0x0000_0002
    static let fixedParent: TPMA_OBJECT = 0x0000_0010
    static let sensitiveDataOrigin: TPMA_OBJECT = 0x0000_0020
    static let userWithAuth: TPMA_OBJECT = 0x0000_0040
    static let noDA: TPMA_OBJECT = 0x0000_0400
    static let restricted: TPMA_OBJECT = 0x0001_0000
    static let decrypt: TPMA_OBJECT = 0x0002_0000
    static let signEncrypt: TPMA_OBJECT = 0x0004_0000

    static let sessionContinue: TPMA_SESSION = 0x01
    static let sessionDecrypt: TPMA_SESSION = 0x20
    static let sessionEncrypt: TPMA_SESSION = 0x40

    static let capProperties: TPM2_CAP = 0x0000_0006
    static let ptFixed: TPM2_PT = 0x100
    static let ptVar: TPM2_PT = 0x200
    static let ptManufacturer: TPM2_PT = ptFixed + 5
    static let ptVendorString1: TPM2_PT = ptFixed + 6
    static let ptFirmware1: TPM2_PT = ptFixed + 11
    static let ptFirmware2: TPM2_PT = ptFixed + 12
    static let ptPermanent: TPM2_PT = ptVar + 0
    static let ptLockoutCounter: TPM2_PT = ptVar + 14
    static let ptMaxAuthFail: TPM2_PT = ptVar + 15
    static let ptLockoutInterval: TPM2_PT = ptVar + 16
    static let ptLockoutRecovery: TPM2_PT = ptVar + 17
    static let permanentInLockout: UInt32 = 0x0000_0200
}

/// A response code, sorted into what callers act on (TPM 2.0 Part 2, 6.6).
enum ResponseCode {
    /// The layer byte: 0 is the TPM itself; the TCTI's is 10, ESYS's 7.
    static func layer(_ rc: TSS2_RC) -> UInt32 { (rc >> 16) & 0xFF }
    /// A format-one code without its handle/session/parameter number.
    static func format1(_ rc: TSS2_RC) -> UInt32? { layer(rc) == 0 && rc & 0x80 != 0 ? rc & 0xBF : nil }
    static func isAuthFail(_ rc: TSS2_RC) -> Bool { format1(rc) == 0x08E }
    static func isBadAuth(_ rc: TSS2_RC) -> Bool { format1(rc) == 0x0A2 }
    static func isIntegrity(_ rc: TSS2_RC) -> Bool { format1(rc) == 0x09F }
    static func isLockout(_ rc: TSS2_RC) -> Bool { layer(rc) == 0 && rc & 0xFFFF == 0x921 }
    /// The TCTI (transport) failed: the TPM went away, or never answered.
    static func isTransport(_ rc: TSS2_RC) -> Bool {
        let l = layer(rc)
        // ESYS (7) and SYS (8) pass transport failures up as NO_CONNECTION / TRY_AGAIN / IO_ERROR.
        return l == 10 || ((l == 7 || l == 8) && [8, 9, 10].contains(rc & 0xFFFF))
    }
    static func text(_ rc: TSS2_RC) -> String { Tss2_RC_Decode(rc).map { String(cString: $0) } ?? "unknown" }
}
