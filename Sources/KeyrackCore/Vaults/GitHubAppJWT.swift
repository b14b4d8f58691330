import Crypto
import _CryptoExtras
import Foundation

/// The JSON Web Token a GitHub App authenticates with (GitHub's "Generating a JSON Web Token
/// for a GitHub App"): RS256 over `{"iat", "exp", "iss"}`, `iat` 60 s in the past against clock
/// drift, `exp` at most 10 minutes after now (GitHub refuses more). RSASSA-PKCS1-v1_5 with
/// SHA-256 is swift-crypto's (BoringSSL's); only the JWS framing is here.
public enum GitHubAppJWT {
    /// Seconds the token lives: 9 minutes, under GitHub's 10-minute limit even with iat −60 s.
    public static let lifetime = 9 * 60

    public static func sign(_ source: GitHubAppSource, now: Date = Date()) throws -> String {
        let issued = Int(now.timeIntervalSince1970) - 60
        let header = #"{"alg":"RS256","typ":"JWT"}"#
        // `iss` as a number: the app id is checked to be decimal, and GitHub takes it as an integer.
        let payload = #"{"iat":\#(issued),"exp":\#(issued + 60 + lifetime),"iss":\#(source.appID)}"#
        let input = base64URL(Array(header.utf8)) + "." + base64URL(Array(payload.utf8))
        let signature = try source.signingKey.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + base64URL([UInt8](signature.rawRepresentation))
    }

    /// base64url without padding (RFC 7515 §2).
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
