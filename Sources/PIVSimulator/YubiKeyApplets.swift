// The two non-PIV applications a client reads to learn what YubiKey it holds: Management (device
// info, as `ykman info` reads it) and the OTP application's status and serial (libykpiv's serial
// path before firmware 5, and yubikit's fallback). Their other functions (writing the
// configuration, programming OTP slots) are not simulated and answer 6D00.
//
// The device info is what a YubiKey 5 NFC reports with factory settings: every application
// supported and enabled over USB and NFC, Keychain (USB-A) form factor, no FIPS, no lock code.
// Byte for byte it follows readings of real keys (5.4.3 on one page; 5.7.x on two, with the
// FIPS, PIN-complexity, NFC-restricted and reset-blocked tags); tags per yubikit/management.py.

extension PIVApplet {
    /// Management SELECT answers the firmware version as text (yubikit parses "5.4.3" out of it).
    func selectManagement() -> [UInt8] { Array(state.versionString.utf8) }

    /// OTP SELECT answers the OTP status: version, programming sequence, touch level (LE), and
    /// the flags a YubiKey 5 appends. Factory state: slot 1 holds Yubico OTP, touch-triggered.
    func otpStatus() -> [UInt8] { state.version + [0x01, 0x05, 0x00, 0x06, 0x0F, 0x00, 0x00] }

    func otpCommand(_ c: CommandAPDU) throws -> [UInt8] {
        switch (c.ins, c.p1) {
        case (0x01, 0x10): return state.serial.bigEndianBytes  // CONFIG_SLOT.DEVICE_SERIAL
        case (0x03, _): return otpStatus()                      // status
        default: throw StatusWord.insNotSupported
        }
    }

    func managementCommand(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.ins == 0x1D else { throw StatusWord.insNotSupported }  // READ CONFIG, P1 = page
        let pages = DeviceInfo.pages(serial: state.serial, version: state.version)
        guard Int(c.p1) < pages.count else { return [0x00] }
        return [UInt8(pages[Int(c.p1)].count)] + pages[Int(c.p1)]
    }
}

enum DeviceInfo {
    /// Capabilities (yubikit CAPABILITY): OTP 01, U2F 02, CCID 04, OpenPGP 08, PIV 10, OATH 20,
    /// HSM Auth 0100, FIDO2 0200 — all of them on a YubiKey 5 NFC.
    static let allCapabilities: [UInt8] = [0x03, 0x3F]

    static func pages(serial: UInt32, version: [UInt8]) -> [[UInt8]] {
        var first = TLV(0x01, allCapabilities).encoded          // USB supported
            + TLV(0x03, allCapabilities).encoded                // USB enabled
            + TLV(0x02, serial.bigEndianBytes).encoded
            + TLV(0x04, [0x01]).encoded                         // form factor: Keychain (USB-A)
            + TLV(0x05, version).encoded
            + TLV(0x06, [0x00, 0x00]).encoded                   // auto-eject timeout
            + TLV(0x07, [0x0F]).encoded                         // challenge-response timeout
            + TLV(0x08, [0x00]).encoded                         // device flags
            + TLV(0x0D, allCapabilities).encoded                // NFC supported
            + TLV(0x0E, allCapabilities).encoded                // NFC enabled
            + TLV(0x0A, [0x00]).encoded                         // configuration unlocked
            + TLV(0x0F, [0x00]).encoded                         // IAP detection
        guard Firmware(version).hasPagedDeviceInfo else { return [first] }
        first += TLV(0x20, [0, 0, 0]).encoded                   // no fingerprint sensor
            + TLV(0x21, [0, 0, 0]).encoded
            + TLV(0x10, [0x01]).encoded                         // one more page
        let second = TLV(0x11, [0, 0, 0, 0]).encoded            // free form
            + TLV(0x12, [0x00]).encoded                         // HID init delay
            + TLV(0x14, [0x00, 0x00]).encoded                   // FIPS capable: none
            + TLV(0x15, [0x00, 0x00]).encoded                   // FIPS approved: none
            + TLV(0x16, [0x00]).encoded                         // PIN complexity off
            + TLV(0x17, [0x00]).encoded                         // NFC not restricted
            + TLV(0x18, [0x00, 0x00]).encoded                   // reset blocked: none
        return [first, second]
    }
}
