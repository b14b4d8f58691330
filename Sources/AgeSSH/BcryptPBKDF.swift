import Crypto

/// OpenBSD's bcrypt_pbkdf, the key derivation of passphrase-protected OpenSSH private keys
/// (`kdfname "bcrypt"`). It is PBKDF2 with a bcrypt-based PRF, except that the output blocks are
/// interleaved byte by byte rather than concatenated; that scatter is what makes it
/// incompatible with a textbook PBKDF2 and why it is written out here.
enum BcryptPBKDF {
    /// Rounds above this are refused: ssh-keygen writes 16 (or what `-a` asks for), and a
    /// hostile key file must not pin a CPU for hours. golang.org/x/crypto caps at the same bound.
    static let maxRounds = 2048

    enum Failure: Error, Equatable {
        case invalidParameters
    }

    /// Derives `keyLength` bytes from `password` and `salt`.
    static func deriveKey(password: [UInt8], salt: [UInt8], rounds: Int, keyLength: Int) throws -> [UInt8] {
        let blockSize = 32
        guard rounds >= 1, rounds <= maxRounds, !password.isEmpty, !salt.isEmpty, salt.count <= 1 << 20,
              keyLength > 0, keyLength <= blockSize * blockSize else { throw Failure.invalidParameters }

        let stride = (keyLength + blockSize - 1) / blockSize
        let amount = (keyLength + stride - 1) / stride
        let sha2pass = Array(SHA512.hash(data: password))
        var key = [UInt8](repeating: 0, count: keyLength)

        var block: UInt32 = 1
        var remaining = keyLength
        while remaining > 0 {
            var countSalt = salt
            countSalt += [UInt8(block >> 24), UInt8((block >> 16) & 0xFF), UInt8((block >> 8) & 0xFF), UInt8(block & 0xFF)]
            var tmp = hash(sha2pass: sha2pass, sha2salt: Array(SHA512.hash(data: countSalt)))
            var out = tmp
            for _ in 1..<rounds {
                tmp = hash(sha2pass: sha2pass, sha2salt: Array(SHA512.hash(data: tmp)))
                for j in 0..<out.count { out[j] ^= tmp[j] }
            }
            var written = 0
            for i in 0..<min(amount, remaining) {
                let destination = i * stride + Int(block - 1)
                if destination >= keyLength { break }
                key[destination] = out[i]
                written += 1
            }
            remaining -= written
            block += 1
        }
        return key
    }

    /// bcrypt_hash: Eksblowfish keyed with the hashed password and salt, then 64 encryptions of
    /// "OxychromaticBlowfishSwatDynamite"; the words are written out little-endian.
    static func hash(sha2pass: [UInt8], sha2salt: [UInt8]) -> [UInt8] {
        let blowfish = Blowfish()
        blowfish.expandState(salt: sha2salt, key: sha2pass)
        for _ in 0..<64 {
            blowfish.expand0State(sha2salt)
            blowfish.expand0State(sha2pass)
        }

        let magic = Array("OxychromaticBlowfishSwatDynamite".utf8)
        var words: [UInt32] = (0..<8).map { i in
            magic[4 * i ..< 4 * i + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }
        for _ in 0..<64 {
            var i = 0
            while i < 8 {
                var l = words[i], r = words[i + 1]
                blowfish.encrypt(&l, &r)
                words[i] = l
                words[i + 1] = r
                i += 2
            }
        }

        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in words {
            out += [UInt8(word & 0xFF), UInt8((word >> 8) & 0xFF), UInt8((word >> 16) & 0xFF), UInt8(word >> 24)]
        }
        return out
    }
}
