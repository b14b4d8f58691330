import AgeFormat
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `keyrack age keygen`: age-keygen's new identity file, and `-y`'s recipients of one.
public enum AgeKeygen {
    /// A new identity, as age-keygen writes it.
    public struct Key: Sendable {
        /// The identity file's text: `# created:`, `# public key:`, the secret key line.
        public var fileText: String
        /// The recipient (public key) it decrypts for.
        public var publicKey: String
    }

    /// A new X25519 identity, or a post-quantum hybrid one (`AGE-SECRET-KEY-PQ-1…`).
    public static func generate(postQuantum: Bool, now: Date = Date()) -> Key {
        let (secret, publicKey): (String, String)
        if postQuantum {
            let identity = MLKEM768X25519Identity.generate()
            (secret, publicKey) = (identity.string, identity.recipient.string)
        } else {
            let identity = X25519Identity.generate()
            (secret, publicKey) = (identity.string, identity.recipient.string)
        }
        let created = ISO8601DateFormatter().string(from: now)
        return Key(fileText: "# created: \(created)\n# public key: \(publicKey)\n\(secret)\n", publicKey: publicKey)
    }

    /// Writes `key` to a new file of mode 0600 at `path`, never over an existing one; a file a
    /// failed write left is removed.
    public static func write(_ key: Key, toNewFile path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw AgeToolError.keyFileExists(path: path) }
            throw AgeToolError.cannotCreateKeyFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        do { try FileDescriptorSink(fd: fd).write(Array(key.fileText.utf8)) } catch {
            unlink(path)
            throw error
        }
    }

    /// `-y`: the recipient of each identity in the file at `path` (stdin for nil or `-`), one
    /// per line.
    public static func recipientLines(identityFile path: String?, terminal: any UserTerminal) throws -> String {
        let bytes = try AgeKeyFiles.read(path ?? "-", what: "identity file", secret: true)
        let identities = try AgeKeyFiles.identities(fileContents: bytes, path: path ?? "stdin", terminal: terminal)
        return try AgeKeyFiles.recipients(of: identities, path: nil).map { "\($0)\n" }.joined()
    }
}
