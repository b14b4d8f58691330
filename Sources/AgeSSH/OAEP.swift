import Crypto

/// EME-OAEP (RFC 8017 §7.1) with SHA-256 and MGF1-SHA-256. age's ssh-rsa stanza needs a label,
/// "age-encryption.org/v1/ssh-rsa", and swift-crypto's `_RSA.Encryption` cannot set one; so the
/// padding is done here and the RSA operation itself stays in swift-crypto (private side) or in
/// `RSAPublicOperation` (public side).
enum OAEP {
    static let hashLength = SHA256.byteCount

    /// MGF1 with SHA-256: SHA-256(seed ‖ counter) blocks, truncated to `length`.
    static func mgf1(seed: [UInt8], length: Int) -> [UInt8] {
        var mask: [UInt8] = []
        mask.reserveCapacity(length + hashLength)
        var counter: UInt32 = 0
        while mask.count < length {
            var hasher = SHA256()
            hasher.update(data: seed)
            hasher.update(data: [UInt8(counter >> 24), UInt8((counter >> 16) & 0xFF), UInt8((counter >> 8) & 0xFF), UInt8(counter & 0xFF)])
            mask += Array(hasher.finalize())
            counter += 1
        }
        return Array(mask.prefix(length))
    }

    /// The longest message that fits a `modulusByteCount`-byte modulus.
    static func maxMessageLength(modulusByteCount k: Int) -> Int { k - 2 * hashLength - 2 }

    /// Encodes `message` into a `k`-byte encoded message EM = 0x00 ‖ maskedSeed ‖ maskedDB.
    /// `seed` is random unless a test pins it.
    static func encode(_ message: [UInt8], label: [UInt8], modulusByteCount k: Int, seed: [UInt8]? = nil) -> [UInt8] {
        precondition(message.count <= maxMessageLength(modulusByteCount: k), "OAEP message too long for the modulus")
        let lHash = Array(SHA256.hash(data: label))
        let padding = [UInt8](repeating: 0, count: k - message.count - 2 * hashLength - 2)
        var db = lHash + padding + [0x01] + message
        var seed = seed ?? Array(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
        precondition(seed.count == hashLength)

        let dbMask = mgf1(seed: seed, length: db.count)
        for i in 0..<db.count { db[i] ^= dbMask[i] }
        let seedMask = mgf1(seed: db, length: hashLength)
        for i in 0..<hashLength { seed[i] ^= seedMask[i] }
        return [0x00] + seed + db
    }

    /// Decodes a `k`-byte encoded message, returning nil on any failure. The checks run in time
    /// independent of where (or whether) the padding is wrong, and the caller turns nil into one
    /// error: a padding oracle must not learn which check failed (Manger's attack).
    static func decode(_ em: [UInt8], label: [UInt8], modulusByteCount k: Int) -> [UInt8]? {
        guard k >= 2 * hashLength + 2, em.count == k else { return nil }
        let lHash = Array(SHA256.hash(data: label))

        var seed = Array(em[1...hashLength])
        var db = Array(em[(hashLength + 1)...])
        let seedMask = mgf1(seed: db, length: hashLength)
        for i in 0..<hashLength { seed[i] ^= seedMask[i] }
        let dbMask = mgf1(seed: seed, length: db.count)
        for i in 0..<db.count { db[i] ^= dbMask[i] }

        // good is all ones while every check passes; each check ANDs in a 0x00/0xFF mask.
        var good = isZeroMask(em[0])
        var hashDifference: UInt8 = 0
        for i in 0..<hashLength { hashDifference |= db[i] ^ lHash[i] }
        good &= isZeroMask(hashDifference)

        // Scan all of PS ‖ 0x01 ‖ M: remember the first 0x01, flag any non-zero byte before it.
        var lookingForSeparator: UInt8 = 0xFF
        var separatorIndex = 0
        var invalid: UInt8 = 0
        for i in hashLength..<db.count {
            let isZero = isZeroMask(db[i])
            let isOne = isZeroMask(db[i] ^ 0x01)
            let found = lookingForSeparator & isOne
            separatorIndex = select(found, i, separatorIndex)
            lookingForSeparator &= ~isOne
            invalid |= lookingForSeparator & ~isZero
        }
        good &= ~invalid & ~lookingForSeparator
        guard good == 0xFF else { return nil }
        return Array(db[(separatorIndex + 1)...])
    }

    /// 0xFF when `x` is zero, 0x00 otherwise, without a branch on `x`.
    @inline(__always)
    private static func isZeroMask(_ x: UInt8) -> UInt8 {
        let wide = UInt32(x) &- 1          // top bit set only when x == 0
        return UInt8(truncatingIfNeeded: 0 &- (wide >> 31))
    }

    /// `a` when `mask` is 0xFF, `b` when it is 0x00.
    @inline(__always)
    private static func select(_ mask: UInt8, _ a: Int, _ b: Int) -> Int {
        let wide = Int(Int8(bitPattern: mask))  // 0 or -1
        return (a & wide) | (b & ~wide)
    }
}
