import KeyrackCore
import KeyrackOpenBao

/// An OpenBao `jwt` login whose JWT the owner's YubiKey signs.
enum OpenBaoCardJWT {
    static func login(_ s: OpenBaoSettings, manifest: HostManifest, owner: OwnerName) throws -> OpenBaoLogin {
        throw OpenBaoError.noLogin("the card-signed JWT login is not built yet")
    }
}
