import KeyrackClient
import KeyrackCore
import KeyrackOpenBao
import PIV
import SecretBytes
import KeyrackClient

/// An OpenBao `jwt` login whose JWT the owner's YubiKey signs (`--openbao-jwt-source card`): the
/// card, slot, serial and PIN rules are the cert login's (OpenBaoCardSigner: the slot's PIN and
/// touch policies apply, the PIN is asked before anything is sent); the JWT is CardJWT's, one
/// card signature per unlock, kept in locked memory until the login is sent.
public enum OpenBaoCardJWT {
    public static func login(_ s: OpenBaoSettings, manifest: HostManifest, owner: OwnerName, interaction: Interaction) throws -> OpenBaoLogin {
        let slotText = s.slot ?? "9a"
        guard let slot = PIVSlot(parsing: slotText) else {
            throw OpenBaoSetupError(.usage, "invalid OpenBao login slot '\(slotText.prefix(10))'", remedy: .chooseLoginSlot(signature: true), owner: owner.value)
        }
        let signer = try OpenBaoCardSigner(serial: s.serial ?? manifest.owner.yubikey?.serial, slot: slot, interaction: interaction, needsCertificate: false)
        var jwt = try CardJWT.build(owner: owner.value, audience: s.jwtAudience) { try signer.sign(digest: $0) }
        return .jwt(mount: s.authMount ?? "jwt", role: s.jwtRole, token: LockedBytes(taking: &jwt))
    }
}
