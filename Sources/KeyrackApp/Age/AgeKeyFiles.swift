import AgeFormat
import AgeSSH
import AgeYubiKey
import KeyrackCore
import TPM
import SecretBytes
#if canImport(Glibc)
import Glibc
#endif

/// The key files of `keyrack age`, turned into recipients and identities of every kind keyrack
/// knows. One recipient string is parsed by the core's `RecipientString`, as manifests' are; a
/// file is read by the core's one key-file reader (KeyFile: its size cap, and an identity that
/// holds a secret key must be the caller's alone), or from stdin for `-`.
public enum AgeKeyFiles {
    /// One recipient given on the command line, or one line of a recipients file.
    public static func recipient(_ string: String) throws -> any Recipient {
        do { return try RecipientString.recipient(string) } catch let error as AgeError {
            throw AgeToolError.invalidRecipient(reason: error.reason)
        }
    }

    /// A key file's bytes: `path`, or all of stdin for `-` (within the same cap).
    public static func read(_ path: String, what: String, secret: Bool) throws -> [UInt8] {
        guard path == "-" else { return try KeyFile.read(path, what: what, secret: secret) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(STDIN_FILENO, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw AgeToolError.unreadableStdin(what: what, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            bytes += chunk[..<n]
            guard bytes.count <= KeyFile.maxBytes else { throw AgeToolError.unreadableStdin(what: what, reason: "it holds more than 1 MiB, which is not a key file") }
        }
        return bytes
    }

    /// The recipients of a recipients file: one per line, `#` comments and blank lines ignored.
    public static func recipients(fileContents bytes: [UInt8], path: String) throws -> [any Recipient] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AgeError.invalidKey("recipients file '\(path)' is not valid UTF-8")
        }
        return try AgeKeys.lines(of: text, what: "recipients").map { line in
            if line.text.hasPrefix("AGE-") {
                throw AgeError.invalidKey("recipients file '\(path)' line \(line.number) holds an identity (a secret key), not a recipient")
            }
            do { return try RecipientString.recipient(line.text) } catch let error as AgeError {
                throw AgeError.invalidKey("recipients file '\(path)' line \(line.number): \(error.description)")
            }
        }
    }

    /// The identities of an identity file. A passphrase is asked of `terminal` only when the file
    /// needs one (a passphrase-encrypted identity file, or a protected ssh key when a stanza is
    /// for it); a card's PIN and touch and a TPM's PIN go through it too.
    public static func identities(fileContents bytes: [UInt8], path: String, terminal: any UserTerminal) throws -> [any Identity] {
        let prefix = String(decoding: bytes.prefix(64), as: UTF8.self)
        if prefix.hasPrefix("age-encryption.org/") || prefix.hasPrefix(Armor.header) {
            // An identity file that is itself an age file, encrypted with a passphrase (age -p).
            let secret = try terminal.ask(.passphrase(prompt: "Enter passphrase for identity file '\(path)': "))
            var plain = try Age.decrypt(bytes, with: [ScryptIdentity(passphrase: secret)])
            defer { wipe(&plain) }  // the private keys, parsed into identities below
            return try identities(fileContents: plain, path: path, terminal: terminal)
        }
        if prefix.hasPrefix("-----BEGIN") || prefix.hasPrefix("ssh-") {
            // Lazy: as age, a protected key asks for its passphrase only when a stanza is for it.
            return [try SSHKeys.lazyIdentity(fromPrivateKey: bytes, passphrase: {
                try terminal.ask(.passphrase(prompt: "Enter passphrase for ssh key '\(path)': "))
            })]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw AgeError.invalidKey("identity file '\(path)' is not valid UTF-8")
        }
        do {
            return try IdentityLines.identities(in: text, cardIdentity: { stub in
                YubiKeyIdentity(stub: stub, pinProvider: { request in try terminal.ask(.pin(prompt: request.prompt)) },
                                touchNotifier: { serial in terminal.notice(.touch(serial: serial)) })
            }, tpmPIN: { tries in try terminal.ask(.pin(prompt: TPMPrompt.pin(triesLeft: tries))) })
        } catch let error as AgeError {
            throw AgeError.invalidKey("identity file '\(path)' \(error.reason)")
        }
    }

    /// The identities of each file, read and parsed in order.
    public static func identities(files: [String], terminal: any UserTerminal) throws -> [any Identity] {
        try files.flatMap { path in
            try identities(fileContents: try read(path, what: "identity file", secret: true), path: path, terminal: terminal)
        }
    }

    /// The recipient each identity of a file encrypts to, derived offline; `path` nil for stdin.
    public static func recipients(of identities: [any Identity], path: String?) throws -> [any Recipient] {
        try identities.map { identity in
            guard let convertible = identity as? any RecipientConvertible else { throw AgeToolError.underivableRecipient(path: path) }
            return convertible.anyRecipient
        }
    }
}

/// Identities whose public recipient can be derived offline (`encrypt -i`, `keygen -y`). For a
/// protected ssh key it comes from the public key stored in the clear, without the passphrase.
public protocol RecipientConvertible { var anyRecipient: any Recipient { get } }
extension X25519Identity: RecipientConvertible { public var anyRecipient: any Recipient { recipient } }
extension MLKEM768X25519Identity: RecipientConvertible { public var anyRecipient: any Recipient { recipient } }
extension SSHEd25519Identity: RecipientConvertible { public var anyRecipient: any Recipient { recipient } }
extension SSHRSAIdentity: RecipientConvertible { public var anyRecipient: any Recipient { recipient } }
extension SSHEncryptedIdentity: RecipientConvertible { public var anyRecipient: any Recipient { recipient } }
