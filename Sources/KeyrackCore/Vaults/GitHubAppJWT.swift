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
        // GitHubAppSource admits 1 to 15 decimal digits, so the app id is always an Int.
        guard let app = Int(source.appID) else { preconditionFailure("GitHubAppSource let through a non-decimal app id") }
        let input = base64URL(try json(Header(alg: "RS256"))) + "." + base64URL(try json(Claims(iat: issued, exp: issued + 60 + lifetime, iss: app)))
        let signature = try source.signingKey.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + base64URL([UInt8](signature.rawRepresentation))
    }

    /// A JWS header, as both JWTs keyrack signs (this one and CardJWT) start.
    struct Header: Encodable {
        var alg: String
        var typ = "JWT"
    }

    /// The claims GitHub checks; `iss` a number, as GitHub takes the app id.
    struct Claims: Encodable {
        var iat: Int
        var exp: Int
        var iss: Int
    }

    /// A JWT part's JSON, keys sorted (else Foundation's JSONEncoder on Linux orders them by
    /// hash, differently in each process).
    static func json<Part: Encodable>(_ part: Part) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(part))
    }

    /// base64url without padding (RFC 7515 §2).
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
