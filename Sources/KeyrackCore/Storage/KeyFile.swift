import Foundation
import SecretBytes

/// The one reader of a key file a user names: an identity (age, ssh, TPM), a public key, a
/// `.pem` a GitHub App key comes from. "Absent" and "unreadable" are usage errors that name the
/// path and what to do; anything larger than `maxBytes` is no key file and is refused unread
/// past that. A private key (`secret`) is refused when it is not the caller's or others may read
/// it (`PrivateFile`), as a `--pin-file` is: a key others can read is no longer only the owner's.
public enum KeyFile {
    /// 1 MiB: the largest key keyrack reads (an RSA-16384 PEM) is a few KiB.
    public static let maxBytes = 1 << 20

    public static func read(_ path: String, what: String, secret: Bool = false) throws -> [UInt8] {
        let url = URL(fileURLWithPath: path)
        do {
            guard let bytes = try FileSystem.read(url) else {
                throw KeyrackError.usage("\(what) \(path) does not exist: pass the path of an existing file")
            }
            guard bytes.count <= maxBytes else { throw KeyrackError.usage("\(what) \(path) is larger than 1 MiB: that is not a key file") }
            if secret, PrivateFile.holdsSecretKey(bytes), let problem = PrivateFile.problem(path: path, what: what) {
                wipeStorage(bytes)
                throw KeyrackError.usage(problem)
            }
            return bytes
        } catch let error as KeyrackError where error.kind == .failure {
            throw KeyrackError.usage("cannot read \(what) \(path): \(error.message.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unreadable")")
        }
    }
}
