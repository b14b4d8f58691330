import AgeFormat
import Foundation

/// `via: age`: a native age identity file, for robots without hardware (CI). X25519 by default,
/// as `age-keygen` makes; the post-quantum hybrid `mlkem768x25519` with `--pq`. One owner is one
/// kind or the other, never both: age refuses to mix them in a file, and so does keyrack.
struct AgeBackend: RecipientBackend {
    var via: Via { .age }

    func setUp(_ request: RecipientSetupRequest) throws -> RecipientSetup {
        guard case .age(let spec) = request.spec else { preconditionFailure("AgeBackend given a \(request.spec.via) spec") }
        switch spec.source {
        case .recipient(let pubkeyPath):
            // A recipient only: the identity lives elsewhere (a CI secret), given at unlock. The
            // recipient itself (age1…) or a file holding it.
            let literal = request.literalPublicKey(pubkeyPath)
            let path = literal == nil ? expandTilde(pubkeyPath, userHome: request.userHome) : "the public key given"
            let text = try literal ?? String(decoding: try KeyFile.read(path, what: "public key file"), as: UTF8.self)
            guard let line = text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { !$0.isEmpty && !$0.hasPrefix("#") }) else {
                throw KeyrackError.usage("public key file \(path) holds no age recipient: it should hold one line age1…")
            }
            guard RecipientString.kind(of: line)?.via == .age else {
                throw KeyrackError.usage("unsupported public key type in \(path) for an age owner", .keyFor(.age))
            }
            try checkKind(line, postQuantum: spec.postQuantum, source: path)
            _ = try recipient(publicKey: line)
            return RecipientSetup(pubkey: line, location: RecipientLocation(label: RecipientLabel.primary, via: .age, pubkey: line))
        case .identityFile(let identityPath):
            let path = expandTilde(identityPath, userHome: request.userHome)
            let pubkey = try publicKey(ofIdentityFile: path)
            try checkKind(pubkey, postQuantum: spec.postQuantum, source: path)
            return RecipientSetup(pubkey: pubkey, location: RecipientLocation(label: RecipientLabel.primary, via: .age, pubkey: pubkey, identity: .file(path)))
        case .newIdentity:
            return try newIdentity(request, postQuantum: spec.postQuantum)
        }
    }

    /// keyrack keeps the owner's identity in its own home. An identity file already there (an
    /// earlier init that failed later) is reused, never overwritten.
    private func newIdentity(_ request: RecipientSetupRequest, postQuantum: Bool) throws -> RecipientSetup {
        let url = request.home.ageIdentity(request.owner)
        if FileSystem.exists(url) {
            let pubkey = try publicKey(ofIdentityFile: url.path)
            try checkKind(pubkey, postQuantum: postQuantum, source: url.path)
            return RecipientSetup(pubkey: pubkey, location: RecipientLocation(label: RecipientLabel.primary, via: .age, pubkey: pubkey, identity: .file(url.path)))
        }
        try request.home.ensureDirectory("identities")
        let secret: String, pubkey: String
        if postQuantum {
            let id = MLKEM768X25519Identity.generate()
            (secret, pubkey) = (id.string, id.recipient.string)
        } else {
            let id = X25519Identity.generate()
            (secret, pubkey) = (id.string, id.recipient.string)
        }
        let text = "# created: \(HostManifest.timestamp()) by keyrack for owner \(request.owner.value)\n# public key: \(pubkey)\n\(secret)\n"
        guard try FileSystem.createExclusively(Array(text.utf8), at: url, mode: 0o600) else {
            // A concurrent init of the same owner made one first: use that one.
            let existing = try publicKey(ofIdentityFile: url.path)
            try checkKind(existing, postQuantum: postQuantum, source: url.path)
            return RecipientSetup(pubkey: existing, location: RecipientLocation(label: RecipientLabel.primary, via: .age, pubkey: existing, identity: .file(url.path)))
        }
        return RecipientSetup(pubkey: pubkey, location: RecipientLocation(label: RecipientLabel.primary, via: .age, pubkey: pubkey, identity: .file(url.path)),
                              createdIdentity: true)
    }

    func recipient(publicKey: String) throws -> any Recipient {
        do { return try AgeKeys.parseRecipient(publicKey) } catch let error as AgeError {
            throw KeyrackError.usage("invalid age recipient '\(publicKey.prefix(24))…': \(error)")
        }
    }

    func identity(for record: RecipientLocation, interaction: Interaction) throws -> any Identity {
        guard let path = record.identityPath else {
            throw KeyrackError(.wrongIdentity, problem: "no identity file is recorded for recipient \(record.label) (\(record.pubkey.prefix(24))…)", remedy: .giveIdentity)
        }
        return MultiIdentity(try identities(inFile: path))
    }

    /// The identities of an age identity file, with errors that name the file (never its content).
    func identities(inFile path: String) throws -> [any Identity] {
        try identities(fileContents: try KeyFile.read(path, what: "age identity file", secret: true), source: path)
    }

    func identities(fileContents bytes: [UInt8], source: String) throws -> [any Identity] {
        do { return try AgeKeys.parseIdentities(fileContents: bytes) } catch let error as AgeError {
            throw KeyrackError.usage("\(source) is not a usable age identity file: \(error)")
        }
    }

    /// The recipient string of the first identity of an age identity file.
    func publicKey(ofIdentityFile path: String) throws -> String {
        let ids = try identities(inFile: path)
        switch ids.first {
        case let x as X25519Identity: return x.recipient.string
        case let pq as MLKEM768X25519Identity: return pq.recipient.string
        default: throw KeyrackError.usage("\(path) holds no native age identity (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…)")
        }
    }

    private func checkKind(_ pubkey: String, postQuantum: Bool, source: String) throws {
        let isPQ = RecipientBackends.isPostQuantum(pubkey)
        if isPQ != postQuantum {
            // Post-quantum and classic keys never mix in one manifest.
            throw isPQ ? KeyrackError.usage("\(source) is a post-quantum (age1pq1…) key for a classic owner", .give(.postQuantum, ""))
                : KeyrackError.usage("\(source) is a classic age1… key for a post-quantum owner", .drop(.postQuantum))
        }
    }
}

/// Several identities tried in order, as one (an identity file may hold more than one key).
struct MultiIdentity: Identity {
    let identities: [any Identity]
    init(_ identities: [any Identity]) { self.identities = identities }

    func unwrap(_ stanzas: [Stanza]) throws -> FileKey? {
        for identity in identities {
            if let key = try identity.unwrap(stanzas) { return key }
        }
        return nil
    }
}
