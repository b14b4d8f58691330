// One-block encryption with the management key: TDES (YubiKey default before 5.7) or AES
// (5.7+ default AES-192). Only single-block ECB is ever needed, for challenge/response.

import Crypto
import _CryptoExtras

enum ManagementCipher {
    static func encrypt(_ block: [UInt8], key: ManagementKey) throws -> [UInt8] {
        try crypt(block, key: key, decrypt: false)
    }

    static func decrypt(_ block: [UInt8], key: ManagementKey) throws -> [UInt8] {
        try crypt(block, key: key, decrypt: true)
    }

    private static func crypt(_ block: [UInt8], key: ManagementKey, decrypt: Bool) throws -> [UInt8] {
        guard block.count == key.blockSize else { throw StatusWord.incorrectData }
        if key.algorithm == PIVAlgorithm.tdes {
            guard let des = TripleDES(key: key.bytes) else { throw StatusWord.incorrectData }
            return decrypt ? des.decrypt(block) : des.encrypt(block)
        }
        var b = block
        let k = SymmetricKey(data: key.bytes)
        if decrypt { try AES.inversePermute(&b, key: k) } else { try AES.permute(&b, key: k) }
        return b
    }
}
