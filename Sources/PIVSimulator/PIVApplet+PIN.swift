// PIN and PUK: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, SET PIN RETRIES and the
// applet RESET that needs both blocked. Counters behave as on a YubiKey: 63Cx counts down, the
// try that reaches zero answers 63C0, after that 6983 without comparing.

extension PIVApplet {
    func verify(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p2 == 0x80 else { throw StatusWord.referenceNotFound }
        if c.p1 == 0xFF {
            guard c.data.isEmpty else { throw StatusWord.incorrectData }
            session.pinVerified = false
            return []
        }
        guard c.p1 == 0x00 else { throw StatusWord.incorrectP1P2 }
        if c.data.isEmpty {
            if state.pin.isBlocked { throw StatusWord.authenticationBlocked }
            if session.pinVerified { return [] }
            throw StatusWord.wrongPIN(triesLeft: state.pin.remaining)
        }
        guard c.data.count == 8 else { throw StatusWord.incorrectData }
        try check(c.data, against: \.pin)
        session.pinVerified = true
        session.pinJustVerified = true
        return []
    }

    func changeReference(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p1 == 0 else { throw StatusWord.incorrectP1P2 }
        let which: WritableKeyPath<CardState, SecretReference>
        switch c.p2 {
        case 0x80: which = \.pin
        case 0x81: which = \.puk
        default: throw StatusWord.referenceNotFound
        }
        guard c.data.count == 16 else { throw StatusWord.incorrectData }
        if state[keyPath: which].isBlocked { throw StatusWord.authenticationBlocked }
        // The current value is checked first: a wrong one counts down whatever the new one is
        // (ykman's `piv reset` blocks the PUK with empty values, 16 bytes of FF).
        try check(Array(c.data[..<8]), against: which)
        let new = Array(c.data[8...])
        guard PIVApplet.isAcceptableSecret(new) else { throw StatusWord.incorrectData }
        update { $0[keyPath: which].value = new.hexString }
        if which == \CardState.pin { session.pinVerified = true }
        return []
    }

    func resetRetryCounter(_ c: CommandAPDU) throws -> [UInt8] {
        guard c.p1 == 0 else { throw StatusWord.incorrectP1P2 }
        guard c.p2 == 0x80 else { throw StatusWord.referenceNotFound }
        guard c.data.count == 16 else { throw StatusWord.incorrectData }
        if state.puk.isBlocked { throw StatusWord.authenticationBlocked }
        try check(Array(c.data[..<8]), against: \.puk)
        let newPIN = Array(c.data[8...])
        guard PIVApplet.isAcceptableSecret(newPIN) else { throw StatusWord.incorrectData }
        update {
            $0.pin.value = newPIN.hexString
            $0.pin.remaining = $0.pin.maxRetries
        }
        return []
    }

    /// Yubico SET PIN RETRIES: needs the management key and the PIN; resets both to defaults.
    func setPINRetries(_ c: CommandAPDU) throws -> [UInt8] {
        guard session.managementAuthenticated, session.pinVerified else { throw StatusWord.securityStatusNotSatisfied }
        guard c.p1 > 0, c.p2 > 0 else { throw StatusWord.incorrectP1P2 }
        update {
            $0.pin = SecretReference(padded: CardState.defaultPIN, retries: Int(c.p1))
            $0.puk = SecretReference(padded: CardState.defaultPUK, retries: Int(c.p2))
        }
        // The PIN was replaced by the default: the old verification no longer stands.
        session.pinVerified = false
        return []
    }

    /// Yubico RESET: only when PIN and PUK are both blocked, as on a YubiKey.
    func resetApplet(_ c: CommandAPDU) throws -> [UInt8] {
        guard state.pin.isBlocked, state.puk.isBlocked else { throw StatusWord.conditionsNotSatisfied }
        update { $0.resetToFactory() }
        let touch = session.lastTouch
        session = Session()
        session.selected = .piv
        session.lastTouch = touch
        return []
    }

    /// Compares a padded value; counts down on mismatch and throws the matching status word.
    private func check(_ candidate: [UInt8], against which: WritableKeyPath<CardState, SecretReference>) throws {
        if state[keyPath: which].isBlocked { throw StatusWord.authenticationBlocked }
        if constantTimeEquals(candidate, state[keyPath: which].bytes) {
            update { $0[keyPath: which].remaining = $0[keyPath: which].maxRetries }
            return
        }
        update { $0[keyPath: which].remaining = max(0, $0[keyPath: which].remaining - 1) }
        if which == \CardState.pin { session.pinVerified = false }
        throw StatusWord.wrongPIN(triesLeft: state[keyPath: which].remaining)
    }

    /// A new PIN/PUK: 6–8 bytes once the FF padding is stripped, and no FF inside.
    static func isAcceptableSecret(_ padded: [UInt8]) -> Bool {
        var body = padded
        while body.last == 0xFF { body.removeLast() }
        return (6...8).contains(body.count) && !body.contains(0xFF)
    }
}
