import AgeFormat
import Foundation

/// `via: ssh`: an ssh-ed25519 or ssh-rsa key, stanzas as age's agessh writes them, so
/// `age -d -i ~/.ssh/id_ed25519 host.<owner>.yml.age` opens the manifest without keyrack.
struct SSHBackend: RecipientBackend {
    var via: Via { .ssh }

    /// `--pubkey` may be the key itself (`ssh-ed25519 AAAA… comment`), or name the `.pub` file or
    /// the private key beside it; the default is the user's first usable key (DefaultSSHKey). The
    /// private key (the same path without `.pub`) is recorded when it exists: a CI box may hold
    /// only the public half, and a literal key records none.
    func setUp(_ request: RecipientSetupRequest) throws -> RecipientSetup {
        guard case .ssh(let publicKey) = request.spec else { preconditionFailure("SSHBackend given a \(request.spec.via) spec") }
        if let literal = publicKey.flatMap(request.literalPublicKey) { return try setUp(line: literal, source: "the public key given", privatePath: nil) }
        let given = expandTilde(publicKey ?? DefaultSSHKey.find(userHome: request.userHome).path, userHome: request.userHome)
        let pubPath: String, privPath: String
        if given.hasSuffix(".pub") {
            (pubPath, privPath) = (given, String(given.dropLast(4)))
        } else if FileSystem.exists(URL(fileURLWithPath: given + ".pub")) {
            (pubPath, privPath) = (given + ".pub", given)
        } else {
            (pubPath, privPath) = (given, given)
        }
        let bytes = try KeyFile.read(pubPath, what: "public key file")
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("-----BEGIN") {
            throw KeyrackError.usage("\(pubPath) is a private key, and no \(pubPath).pub is beside it: pass the .pub file (ssh-keygen -y -f \(pubPath) > \(pubPath).pub)")
        }
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let hasPrivate = privPath != pubPath && FileSystem.exists(URL(fileURLWithPath: privPath))
        return try setUp(line: line, source: pubPath, privatePath: hasPrivate ? privPath : nil)
    }

    private func setUp(line: String, source: String, privatePath: String?) throws -> RecipientSetup {
        guard line.hasPrefix("ssh-") || line.contains(" ") else {
            throw KeyrackError.usage("unsupported public key in \(source) for an ssh owner", .keyFor(.ssh))
        }
        let type = line.split(separator: " ").first.map(String.init) ?? ""
        guard type == "ssh-ed25519" || type == "ssh-rsa" else {
            throw KeyrackError.usage("unsupported public key type \(type.prefix(40)) in \(source): keyrack's ssh backend takes ssh-ed25519 or ssh-rsa keys (make one with ssh-keygen -t ed25519)")
        }
        _ = try recipient(publicKey: line, source: source)
        return RecipientSetup(pubkey: line, location: RecipientLocation(label: RecipientLabel.primary, via: .ssh, pubkey: line,
                                                                          identity: privatePath.map(IdentityLocation.file)))
    }

    func recipient(publicKey: String) throws -> any Recipient {
        try recipient(publicKey: publicKey, source: nil)
    }

    private func recipient(publicKey: String, source: String?) throws -> any Recipient {
        do { return try SSHBridge.recipient(authorizedKey: publicKey) } catch let error as KeyrackError {
            throw error
        } catch {
            let whereFrom = source.map { " in \($0)" } ?? ""
            throw KeyrackError.usage("unusable ssh public key\(whereFrom): \(error)")
        }
    }

    func identity(for record: RecipientLocation, interaction: Interaction) throws -> any Identity {
        guard let path = record.identityPath else {
            throw KeyrackError(.wrongIdentity, problem: "no private key is recorded for ssh recipient \(record.label) (\(record.pubkey.prefix(40))…)", remedy: .giveIdentity)
        }
        return try SSHBackend.identity(privateKeyPath: path, interaction: interaction)
    }

    /// The identity of an OpenSSH private key file. An encrypted key's passphrase is asked for
    /// only when a manifest holds a stanza for that very key.
    static func identity(privateKeyPath path: String, interaction: Interaction) throws -> any Identity {
        try identity(privateKey: try KeyFile.read(path, what: "ssh private key", secret: true), source: path, interaction: interaction)
    }

    /// The same from the key's bytes (read from a descriptor); `source` names it in prompts.
    static func identity(privateKey bytes: [UInt8], source: String, interaction: Interaction) throws -> any Identity {
        do {
            return try SSHBridge.identity(privateKey: bytes) { try interaction.secret(.passphrase(prompt: "passphrase for ssh key \(source): ")) }
        } catch let error as KeyrackError {
            throw KeyrackError(error.kind, "cannot use ssh key \(source): \(error.message)")
        }
    }
}
