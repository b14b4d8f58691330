// Blowfish, only as far as bcrypt_pbkdf needs it: the Eksblowfish key schedule ("expand state")
// and ECB encryption of 64-bit blocks. Nothing else in keyrack may use it as a cipher.
//
// The state lives in one manually allocated buffer rather than Swift arrays: bcrypt_pbkdf runs
// about two million block encryptions per OpenSSH key unlock, and array bounds and uniqueness
// checks would make that take seconds in debug builds. The buffer is wiped when released, since
// after key expansion it is derived from the passphrase.

struct Blowfish: ~Copyable {
    private static let pWords = 18
    private static let sWords = 4 * 256
    /// P-array in words 0..<18, the four S-boxes after it.
    private let state: UnsafeMutablePointer<UInt32>

    /// The initial state (digits of π), before any key is mixed in.
    init() {
        state = .allocate(capacity: Self.pWords + Self.sWords)
        BlowfishTables.p.withUnsafeBufferPointer { state.update(from: $0.baseAddress!, count: Self.pWords) }
        BlowfishTables.s.withUnsafeBufferPointer { (state + Self.pWords).update(from: $0.baseAddress!, count: Self.sWords) }
    }

    /// Standard Blowfish with `key` (1–56 bytes): the classic key schedule is `expand0State(key)`.
    init(key: [UInt8]) {
        self.init()
        expand0State(key)
    }

    deinit {
        state.update(repeating: 0, count: Self.pWords + Self.sWords)
        state.deallocate()
    }

    @inline(__always)
    private func f(_ x: UInt32) -> UInt32 {
        let s = state + Self.pWords
        let a = s[Int(x >> 24)], b = s[256 + Int((x >> 16) & 0xFF)]
        let c = s[512 + Int((x >> 8) & 0xFF)], d = s[768 + Int(x & 0xFF)]
        return ((a &+ b) ^ c) &+ d
    }

    /// Encrypts one block held as two big-endian words.
    @inline(__always)
    func encrypt(_ left: inout UInt32, _ right: inout UInt32) {
        let p = state
        var l = left ^ p[0], r = right
        var i = 1
        while i <= 16 {
            r ^= f(l) ^ p[i]
            l ^= f(r) ^ p[i + 1]
            i += 2
        }
        left = r ^ p[17]
        right = l
    }

    /// Reads the next big-endian word of `data`, cycling over it (Blowfish_stream2word).
    @inline(__always)
    private static func nextWord(_ data: UnsafeBufferPointer<UInt8>, _ position: inout Int) -> UInt32 {
        var word: UInt32 = 0
        for _ in 0..<4 {
            if position >= data.count { position = 0 }
            word = (word << 8) | UInt32(data[position])
            position += 1
        }
        return word
    }

    /// Eksblowfish ExpandState(state, salt, key): keys the P-array with `key`, then refills P
    /// and the S-boxes by encrypting a chain that is XORed with `salt` at each step.
    func expandState(salt: [UInt8], key: [UInt8]) {
        key.withUnsafeBufferPointer { key in
            salt.withUnsafeBufferPointer { salt in
                var j = 0
                for i in 0..<Self.pWords { state[i] ^= Self.nextWord(key, &j) }
                j = 0
                var l: UInt32 = 0, r: UInt32 = 0
                var i = 0
                while i < Self.pWords + Self.sWords {
                    l ^= Self.nextWord(salt, &j)
                    r ^= Self.nextWord(salt, &j)
                    encrypt(&l, &r)
                    state[i] = l
                    state[i + 1] = r
                    i += 2
                }
            }
        }
    }

    /// ExpandState with an all-zero salt (Blowfish_expand0state); also the standard key schedule.
    func expand0State(_ key: [UInt8]) {
        key.withUnsafeBufferPointer { key in
            var j = 0
            for i in 0..<Self.pWords { state[i] ^= Self.nextWord(key, &j) }
            var l: UInt32 = 0, r: UInt32 = 0
            var i = 0
            while i < Self.pWords + Self.sWords {
                encrypt(&l, &r)
                state[i] = l
                state[i + 1] = r
                i += 2
            }
        }
    }
}
