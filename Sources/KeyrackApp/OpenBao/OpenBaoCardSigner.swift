import AgeYubiKey
import KeyrackClient
import KeyrackCore
import KeyrackOpenBao
import PIV
import SecretBytes
import KeyrackClient

/// The owner's YubiKey as the TLS client key of an OpenBao `cert` login: the certificate is the
/// slot's, the one handshake signature is an ECDSA on the card (PIN and touch as the slot's
/// policies say). The PIN, when the policy wants one, is asked before connecting, so the prompt
/// never races the server's handshake timeout. A `jwt` login (`--openbao-jwt-source card`) uses
/// the same signer for its one JWT signature, without a certificate.
/// `@unchecked`: wraps an open card session (a libykpiv handle in `PIVCard`), used by the one TLS
/// handshake or JWT it signs for, one signature at a time (KeyrackOpenBao's SignatureCounter).
public final class OpenBaoCardSigner: TLSClientSigner, @unchecked Sendable {
    public let certificateDER: [UInt8]
    private let card: PIVCard
    private let slot: PIVSlot
    private let policies: (PINPolicy?, TouchPolicy?)

    private let interaction: Interaction

    /// `interaction` asks for the PIN (the terminal, or unlock's --pin-stdin / --pin-file).
    /// `needsCertificate`: a cert login presents the slot's certificate; a JWT login needs the key only.
    public init(serial: UInt32?, slot: PIVSlot, interaction: Interaction, needsCertificate: Bool = true) throws {
        card = try PIVCards.open(serial: serial)
        self.slot = slot
        self.interaction = interaction
        do {
            let info = try card.p256Key(slot)
            policies = (info.pinPolicy, info.touchPolicy)
            let der = try card.certificate(slot: slot)
            if needsCertificate && der == nil {
                throw OpenBaoSetupError(.failure, "YubiKey \(card.serial) slot \(slot) has a key but no certificate: an OpenBao cert login presents it",
                                        remedy: .makeCertificate(slot: "\(slot)"), owner: "")
            }
            certificateDER = der ?? []
            try satisfyPIN()
        } catch {
            card.close()
            throw error
        }
    }

    deinit { card.close() }

    public var serial: UInt32 { card.serial }

    public func sign(digest: [UInt8]) throws -> [UInt8] {
        let serial = card.serial
        return try card.sign(slot: slot, digest: digest, policies: policies, touchWait: { TouchPrompt.notifier(serial) })
    }

    /// The card PIN rule of every card identity (CardPIN), the PIN asked as one: `--pin-file`
    /// and `--pin-stdin` answer it as they answer the manifest's.
    private func satisfyPIN() throws {
        let interaction = self.interaction
        try CardPIN.satisfy(on: card, slot: slot, policy: policies.0, provider: { try interaction.secret(.pin(prompt: $0.prompt)) })
    }
}
