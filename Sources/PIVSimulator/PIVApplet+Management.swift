// Management-key (slot 9B) authentication and SET MANAGEMENT KEY.
//
// Mutual authentication is what libykpiv's ykpiv_authenticate does (witness, then response plus
// our proof); external is ykpiv_auth_getchallenge/verifyresponse and OpenSC's `-A A:9B:03`.
// Any other APDU between the two steps cancels the exchange (the caller clears `pending`).

extension PIVApplet {
    func authenticateManagement(_ c: CommandAPDU, pending: Session.PendingManagementAuth) throws -> [UInt8] {
        let mk = state.managementKey
        guard c.p1 == mk.algorithm || c.p1 == 0x00 else { throw StatusWord.incorrectData }
        let items = try PIVApplet.dynamicTemplate(c.data)
        let block = mk.blockSize
        let witness = items.first(tag: 0x80), challenge = items.first(tag: 0x81), response = items.first(tag: 0x82)

        // Step 1 of mutual: the host asks for a witness.
        if let w = witness, w.value.isEmpty, challenge == nil, response == nil {
            let plain = randomBytes(block)
            session.pendingManagement = .mutual(expected: plain)
            return PIVApplet.template([TLV(0x80, try ManagementCipher.encrypt(plain, key: mk))])
        }
        // Step 2 of mutual: decrypted witness back, plus the host's challenge for us.
        if let w = witness, !w.value.isEmpty, let ch = challenge, !ch.value.isEmpty, response?.value.isEmpty ?? true {
            guard case .mutual(let expected) = pending else { throw StatusWord.conditionsNotSatisfied }
            guard w.value.count == block, ch.value.count == block else { throw StatusWord.incorrectData }
            guard constantTimeEquals(w.value, expected) else { throw StatusWord.securityStatusNotSatisfied }
            try requireTouch(policy: mk.touch)
            session.managementAuthenticated = true
            return PIVApplet.template([TLV(0x82, try ManagementCipher.encrypt(ch.value, key: mk))])
        }
        // Step 1 of external: the host asks for a challenge.
        if let ch = challenge, ch.value.isEmpty, witness == nil, response == nil {
            let plain = randomBytes(block)
            session.pendingManagement = .external(challenge: plain)
            return PIVApplet.template([TLV(0x81, plain)])
        }
        // Step 2 of external: the challenge encrypted under the key.
        if let r = response, !r.value.isEmpty, witness == nil, challenge == nil {
            guard case .external(let plain) = pending else { throw StatusWord.conditionsNotSatisfied }
            guard r.value.count == block else { throw StatusWord.incorrectData }
            guard constantTimeEquals(r.value, try ManagementCipher.encrypt(plain, key: mk)) else {
                throw StatusWord.securityStatusNotSatisfied
            }
            try requireTouch(policy: mk.touch)
            session.managementAuthenticated = true
            return []
        }
        throw StatusWord.incorrectData
    }

    /// Yubico SET MANAGEMENT KEY: `FF FF <P2>` with `<alg> 9B <len> <key>`; P2 FF no touch, FE always, FD cached.
    func setManagementKey(_ c: CommandAPDU) throws -> [UInt8] {
        try requireManagementAuthenticated()
        guard c.p1 == 0xFF else { throw StatusWord.incorrectP1P2 }
        let touch: UInt8
        switch c.p2 {
        case 0xFF: touch = TouchPolicy.never
        case 0xFE: touch = TouchPolicy.always
        case 0xFD: touch = TouchPolicy.cached
        default: throw StatusWord.incorrectP1P2
        }
        guard c.data.count >= 3, c.data[1] == 0x9B else { throw StatusWord.incorrectData }
        let algorithm = c.data[0]
        let key = Array(c.data[3...])
        guard let length = ManagementKey.keyLength(for: algorithm), Int(c.data[2]) == length, key.count == length else {
            throw StatusWord.incorrectData
        }
        update { $0.managementKey = ManagementKey(algorithm: algorithm, key: key.hexString, touch: touch) }
        return []
    }
}

func randomBytes(_ n: Int) -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
}
