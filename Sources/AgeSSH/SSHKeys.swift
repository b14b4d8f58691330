import AgeFormat
import Foundation

/// Entry points for SSH keys as age recipients and identities, as age's agessh package offers
/// them: public keys from `authorized_keys` lines, private keys from the files `ssh-keygen`
/// writes. Only `ssh-ed25519` and `ssh-rsa` are age recipient types; every other SSH key type is
/// refused by name, so a user with an ecdsa or security key learns why at once.
public enum SSHKeys {
    /// The recipient for one `authorized_keys` / `.pub` line: `ssh-ed25519 AAAA… comment` or
    /// `ssh-rsa AAAA… comment`. The returned value also conforms to `SSHPublicKeyHolder`.
    public static func recipient(fromAuthorizedKey line: String) throws -> any Recipient {
        try parseAuthorizedKey(line)
    }

    /// The public key of one `authorized_keys` line, for display (fingerprint, canonical line).
    public static func publicKey(fromAuthorizedKey line: String) throws -> SSHPublicKey {
        try parseAuthorizedKey(line).publicKey
    }

    /// The identity in an SSH private key file (OpenSSH format, plain or passphrase-protected;
    /// PEM PKCS#1 RSA). `passphrase` is called once when, and only when, the key is encrypted;
    /// a wrong passphrase throws `SSHKeyError.wrongPassphrase` and is never retried here. The
    /// returned value also conforms to `SSHPublicKeyHolder`.
    public static func identity(fromPrivateKey data: [UInt8], passphrase: () throws -> [UInt8]) throws -> any Identity {
        let pem = try PEMBlock(data)
        switch pem.label {
        case OpenSSHPrivateKey.pemLabel:
            return try OpenSSHPrivateKey.parse(pem.body, passphrase: passphrase)
        case PKCS1PrivateKey.pemLabel:
            guard pem.headers["Proc-Type"] == nil, pem.headers["DEK-Info"] == nil else { throw SSHKeyError.legacyEncryptedPEM }
            return try PKCS1PrivateKey.parse(pem.body)
        case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
            throw SSHKeyError.malformedKey("PKCS#8 (BEGIN \(pem.label)) keys are not supported: convert the key to the OpenSSH format with ssh-keygen -p -f KEYFILE")
        default:
            let shown = pem.label.count <= 40 && pem.label.allSatisfy({ $0.isUppercase || $0 == " " }) ? pem.label : "(unrecognised)"
            throw SSHKeyError.malformedKey("PEM block BEGIN \(shown) is not an SSH private key")
        }
    }

    /// Whether `data` looks like an SSH private key file (by its PEM header), so a CLI can tell
    /// SSH keys from age identity files before parsing either.
    public static func isPrivateKey(_ data: [UInt8]) -> Bool {
        let window = data.prefix(64)
        // ASCII whitespace skipped as bytes; where the first other byte is not ASCII, Foundation's
        // trim, which knows Unicode's spaces (NSString's trim costs 1 M instructions: every unlock
        // asks this of its identity file).
        let start = window.firstIndex { !(0x09...0x0D).contains($0) && $0 != 0x20 } ?? window.endIndex
        let head = start < window.endIndex && window[start] >= 0x80
            ? Array(String(decoding: window, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
            : Array(window[start...])
        return ["OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]
            .contains { head.starts(with: "-----BEGIN \($0)-----".utf8) }
    }

    // MARK: - Public keys

    private static func parseAuthorizedKey(_ line: String) throws -> any Recipient & SSHPublicKeyHolder {
        let fields = line.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(maxSplits: 2, omittingEmptySubsequences: true, whereSeparator: { $0 == " " || $0 == "\t" })
        guard let type = fields.first.map(String.init) else {
            throw SSHKeyError.malformedKey("empty SSH public key line")
        }
        guard type == "ssh-ed25519" || type == "ssh-rsa" else {
            if let known = displayableKeyType(type) { throw SSHKeyError.unsupportedKeyType(known) }
            throw SSHKeyError.malformedKey("not an SSH public key: expected a line like 'ssh-ed25519 AAAA… comment'")
        }
        guard fields.count >= 2, let wire = Data(base64Encoded: String(fields[1])) else {
            throw SSHKeyError.malformedKey("the \(type) key's base64 field is missing or invalid")
        }
        let comment = fields.count == 3 ? String(fields[2]) : nil
        let recipient = try recipient(fromWire: [UInt8](wire), comment: comment)
        guard recipient.publicKey.type == type else {
            throw SSHKeyError.malformedKey("the line says \(type) but the key inside is \(recipient.publicKey.type)")
        }
        return recipient
    }

    /// The recipient for an SSH wire-format public key.
    static func recipient(fromWire wire: [UInt8], comment: String?) throws -> any Recipient & SSHPublicKeyHolder {
        var reader = SSHWireReader(wire, context: "SSH public key")
        let type = try reader.readText("key type")
        let recipient: any Recipient & SSHPublicKeyHolder
        switch type {
        case "ssh-ed25519":
            let key = try reader.readString("Ed25519 key")
            guard key.count == 32 else { throw SSHKeyError.malformedKey("the ssh-ed25519 key is \(key.count) bytes, want 32") }
            recipient = try SSHEd25519Recipient(ed25519Key: key, comment: comment)
        case "ssh-rsa":
            let e = try reader.readMPInt("RSA public exponent")
            let n = try reader.readMPInt("RSA modulus")
            recipient = try SSHRSARecipient(modulus: n, exponent: e, comment: comment)
        default:
            throw SSHKeyError.unsupportedKeyType(displayableKeyType(type) ?? "(unrecognised)")
        }
        guard reader.isAtEnd else { throw SSHKeyError.malformedKey("trailing data after the \(type) public key") }
        return recipient
    }

    /// The key type as it may appear in a message: only names shaped like SSH key types, so a
    /// pasted secret can never be echoed back into a terminal or log.
    static func displayableKeyType(_ type: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-@.")
        let shaped = ["ssh-", "ecdsa-", "sk-", "rsa-", "x509", "pgp-"].contains { type.hasPrefix($0) }
        return shaped && type.count <= 64 && type.allSatisfy({ allowed.contains($0) }) ? type : nil
    }
}

/// One PEM block (RFC 7468, with RFC 1421 headers as in legacy encrypted keys).
struct PEMBlock {
    let label: String
    let headers: [String: String]
    let body: [UInt8]

    init(_ data: [UInt8]) throws {
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") && $0.count > 16 }) else {
            throw SSHKeyError.malformedKey("no -----BEGIN …----- line: this is not a PEM private key file")
        }
        label = String(lines[begin].dropFirst(11).dropLast(5))
        guard let end = lines[begin...].firstIndex(of: "-----END \(label)-----") else {
            throw SSHKeyError.malformedKey("the \(label) block has no END line: the file is truncated")
        }
        var headers: [String: String] = [:]
        var base64 = ""
        for line in lines[(begin + 1)..<end] {
            if base64.isEmpty, let colon = line.firstIndex(of: ":") {
                headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            } else {
                base64 += line
            }
        }
        guard let decoded = Data(base64Encoded: base64), !decoded.isEmpty else {
            throw SSHKeyError.malformedKey("the \(label) block is not valid base64")
        }
        self.headers = headers
        self.body = [UInt8](decoded)
    }
}
