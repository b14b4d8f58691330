import KeyrackCore
import KeyrackOpenBao
import PIV
import SecretBytes

/// The owner's YubiKey as the TLS client key of an OpenBao `cert` login: the certificate is the
/// slot's, the one handshake signature is an ECDSA on the card (PIN and touch as the slot's
/// policies say). The PIN, when the policy wants one, is asked before connecting, so the prompt
/// never races the server's handshake timeout. A `jwt` login (`--openbao-jwt-source card`) uses
/// the same signer for its one JWT signature, without a certificate.
final class OpenBaoCardSigner: TLSClientSigner, @unchecked Sendable {
    let certificateDER: [UInt8]
    private let card: PIVCard
    private let slot: PIVSlot
    private let policies: (PINPolicy?, TouchPolicy?)

    private let interaction: Interaction

    /// `interaction` asks for the PIN (the terminal, or unlock's --pin-stdin / --pin-file).
    /// `needsCertificate`: a cert login presents the slot's certificate; a JWT login needs the key only.
    init(serial: UInt32?, slot: PIVSlot, interaction: Interaction, needsCertificate: Bool = true) throws {
        card = try PIVCards.open(serial: serial)
        self.slot = slot
        self.interaction = interaction
        do {
            let info = try card.p256Key(slot)
            policies = (info.pinPolicy, info.touchPolicy)
            let der = try card.certificate(slot: slot)
            if needsCertificate && der == nil {
                throw CommandFailure("YubiKey \(card.serial) slot \(slot) has a key but no certificate: an OpenBao cert login presents it; create one with \(fix: "keyrack yubikey setup --slot \(slot)")")
            }
            certificateDER = der ?? []
            try satisfyPIN()
        } catch {
            card.close()
            throw error
        }
    }

    deinit { card.close() }

    var serial: UInt32 { card.serial }

    func sign(digest: [UInt8]) throws -> [UInt8] {
        let serial = card.serial
        return try card.sign(slot: slot, digest: digest, policies: policies, touchWait: { TouchPrompt.notifier(serial) })
    }

    private func satisfyPIN() throws {
        switch policies.0 {
        case .never?: return
        case .once?, nil: if try card.isPINVerified() { return }
        case .always?: break
        }
        let tries = try card.pinTriesLeft()
        if tries == 0 { throw PIVError.pinBlocked }
        var pin = try interaction.secret("Enter PIN for YubiKey with serial \(card.serial)" + (tries.map { " (\($0) tries left)" } ?? "") + ": ")
        defer { wipe(&pin) }
        try card.verifyPIN(pin)
    }
}
