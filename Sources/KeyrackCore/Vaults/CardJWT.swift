import Crypto
import Foundation

/// The short-lived JWT an owner's card signs for an OpenBao `jwt` login
/// (`--openbao-jwt-source card`): ES256 (ECDSA P-256, SHA-256: what a PIV ECC slot signs) over
/// `{"iss":"keyrack","sub":OWNER,"aud":AUD,"iat","nbf","exp","jti"}`, living two minutes (the
/// issue's bound is five) so a copy is soon worthless; `jti` is random per token. OpenBao checks
/// it with the card's public key (the mount's jwt_validation_pubkeys, `publicKeyPEM`). Only the
/// JWS framing is here; the signature is the card's, handed in as `sign` (digest → DER).
public enum CardJWT {
    public static let issuer = "keyrack"
    public static let lifetime = 120
    /// The audience when the owner names none.
    public static let defaultAudience = "openbao"

    public struct Failure: Error, CustomStringConvertible {
        public let problem: String
        public let remedy: KeyrackError.Remedy
        public var description: String { "\(problem): \(remedy.words)" }
    }

    public static func build(owner: String, audience: String?, now: Date = Date(),
                             sign: (_ digest: [UInt8]) throws -> [UInt8]) throws -> [UInt8] {
        let issued = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = [
            "iss": issuer, "sub": owner, "aud": audience ?? defaultAudience,
            "iat": issued, "nbf": issued - 5, "exp": issued + lifetime,
            "jti": (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined(),
        ]
        let header = try GitHubAppJWT.json(GitHubAppJWT.Header(alg: "ES256"))
        let payload = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])
        let input = GitHubAppJWT.base64URL(header) + "." + GitHubAppJWT.base64URL([UInt8](payload))
        let der = try sign([UInt8](SHA256.hash(data: Array(input.utf8))))
        // JWS wants r‖s, 32 bytes each (RFC 7518 §3.4); the card answers DER.
        guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: der) else {
            throw Failure(problem: "the card's signature is not a P-256 ECDSA signature: the slot must hold a P-256 key", remedy: .makeLoginKey)
        }
        return Array((input + "." + GitHubAppJWT.base64URL([UInt8](signature.rawRepresentation))).utf8)
    }

    /// A card's P-256 public point (04‖X‖Y) as the PEM an operator pastes into
    /// `bao write auth/jwt/config jwt_validation_pubkeys=…`; nil if it is not one.
    public static func publicKeyPEM(point: [UInt8]) -> String? {
        (try? P256.Signing.PublicKey(x963Representation: point))?.pemRepresentation.appending("\n")
    }
}
