import AgeFormat
#if canImport(Glibc)
import Glibc
#endif

// The keys keyrack-age understands: X25519 alone (`age1…` recipients, `AGE-SECRET-KEY-1…`
// identities), from arguments and from regular files. Each function returns nil for anything
// else — another key kind (ssh, YubiKey, TPM, post-quantum, a passphrase-protected identity
// file), a key that does not parse, a file that cannot be read — and the caller then hands the
// command line to keyrack-cli, which says what is wrong in its own words. Reading a key file
// has no effect the CLI would notice when it reads it again; stdin is never read here.

enum AgeFrontKeys {
    /// An `age1…` X25519 recipient, as keyrack-cli's RecipientString parses it. A key that cannot
    /// make a stanza (a low-order point) is nil too, so the wrap that follows cannot fail.
    static func recipient(_ string: String) -> X25519Recipient? {
        guard string.hasPrefix("age1"), !string.dropFirst(4).contains("1"),
              let recipient = try? X25519Recipient(string: string),
              (try? recipient.wrap(FileKey.random())) != nil else { return nil }
        return recipient
    }

    /// The recipients of a `-R` file whose every line is an X25519 recipient.
    static func recipients(file path: String) -> [X25519Recipient]? {
        guard let bytes = readKeyFile(path), let text = String(validating: bytes, as: UTF8.self),
              let lines = try? AgeKeys.lines(of: text, what: "recipients") else { return nil }
        var result: [X25519Recipient] = []
        for line in lines {
            guard let recipient = recipient(line.text) else { return nil }
            result.append(recipient)
        }
        return result
    }

    /// The identities of an `-i` file whose every line is an X25519 identity (not an encrypted
    /// identity file, not an ssh key, no plugin stub).
    static func identities(file path: String) -> [X25519Identity]? {
        guard let bytes = readKeyFile(path) else { return nil }
        let prefix = String(decoding: bytes.prefix(64), as: UTF8.self)
        for kind in ["age-encryption.org/", Armor.header, "-----BEGIN", "ssh-"] where prefix.hasPrefix(kind) { return nil }
        guard let text = String(validating: bytes, as: UTF8.self),
              let lines = try? AgeKeys.lines(of: text, what: "identity") else { return nil }
        var result: [X25519Identity] = []
        for line in lines {
            guard line.text.hasPrefix("AGE-SECRET-KEY-1"), let identity = try? X25519Identity(string: line.text) else { return nil }
            result.append(identity)
        }
        return result
    }

    /// A regular file's bytes, up to age's 16 MiB for key files; nil otherwise (a FIFO or a
    /// device such as /dev/stdin would be consumed by reading it here).
    static func readKeyFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= AgeKeys.maxFileBytes else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            bytes += chunk[..<n]
            guard bytes.count <= AgeKeys.maxFileBytes else { return nil }
        }
        return bytes
    }
}
