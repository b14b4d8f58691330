import AgeFormat
import AgePlugin
import AgeYubiKey

/// `age-plugin-tag` (this binary under that name): `recipient-v1` for C2SP's `age1tag1…`
/// recipients, so clients older than age 1.3 — Debian's age 1.1.1, sops 3.11 — can encrypt to a
/// YubiKey owner's tag recipient. The spec reads these recipients as plugin recipients named
/// `tag` for exactly this. Wrapping is software only (no card, no daemon).
struct TagRecipientHandler: RecipientPluginHandler {
    func wrap(_ request: RecipientV1Request, session: RecipientV1Session) throws {
        var recipients: [P256TagRecipient] = []
        var failed = false
        for (i, text) in request.recipients.enumerated() {
            do { recipients.append(try P256TagRecipient(string: text)) } catch {
                failed = true
                try session.recipientError(i, "\(error)")
            }
        }
        for i in request.identities.indices {
            failed = true
            try session.identityError(i, "age-plugin-tag has no identities: encrypt to the age1tag1… recipient itself")
        }
        guard !failed else { return }
        for (file, bytes) in request.fileKeys.enumerated() {
            let key = try FileKey(bytes: bytes)
            for r in recipients {
                for s in try r.wrap(key) {
                    try session.recipientStanza(file: file, PluginStanza(s.type, s.arguments, body: s.body))
                }
            }
        }
        // p256tag stanzas carry no label: they may be mixed with any non-post-quantum recipient.
        if request.labels { try session.labels([]) }
    }
}

/// age-plugin-keyrack's own recipient-v1: a keyrack identity is not something to encrypt to.
struct NoRecipientSide: RecipientPluginHandler {
    static let advice = "a keyrack identity only decrypts: encrypt to the owner's recipients instead (`keyrack identity --for OWNER --recipient`)"
    func wrap(_ request: RecipientV1Request, session: RecipientV1Session) throws {
        for i in request.identities.indices { try session.identityError(i, NoRecipientSide.advice) }
        for i in request.recipients.indices { try session.recipientError(i, NoRecipientSide.advice) }
    }
}
