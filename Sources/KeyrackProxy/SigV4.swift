import Crypto
import Foundation

/// AWS Signature Version 4, as much as re-signing a request needs (header form only): the
/// program signs with its placeholder key pair, the proxy checks that signature with the
/// placeholder secret (so only a request made with this run's placeholders is re-signed), then
/// signs the request as it really goes out with the real key, secret and session token.
/// Reference: "Create a signed AWS API request" (AWS IAM user guide) and botocore's `SigV4Auth`.
enum SigV4 {
    struct Authorization {
        let keyID: String
        let date: String
        let region: String
        let service: String
        let signedHeaders: [String]
        let signature: String

        /// `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`
        init?(_ header: String) {
            guard header.hasPrefix("AWS4-HMAC-SHA256 ") else { return nil }
            var fields: [String: String] = [:]
            for part in header.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
                let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { return nil }
                fields[String(kv[0])] = String(kv[1])
            }
            guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"] else { return nil }
            let scope = credential.split(separator: "/", omittingEmptySubsequences: false)
            guard scope.count == 5, scope[4] == "aws4_request" else { return nil }
            (keyID, date, region, service) = (String(scope[0]), String(scope[1]), String(scope[2]), String(scope[3]))
            signedHeaders = signed.split(separator: ";").map { $0.lowercased() }
            self.signature = signature.lowercased()
        }

        var scope: String { "\(date)/\(region)/\(service)/aws4_request" }
    }

    /// The canonical request over `headers` as they are (names any case; values as bytes).
    static func canonicalRequest(method: String, uri: String, headers: [(name: String, value: [UInt8])], signed: [String],
                                 payloadHash: String, service: String) -> [UInt8] {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var path = String(parts.first ?? "/")
        if path.isEmpty { path = "/" }
        // Every service but S3 signs the path encoded once more (botocore: quote(path, safe='/~')).
        let canonicalPath = service == "s3" ? path : quote(path)
        let query = parts.count > 1 ? parts[1].split(separator: "&").map { pair -> (String, String) in
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
        }.sorted { $0 < $1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&") : ""
        var out = Array("\(method)\n\(canonicalPath)\n\(query)\n".utf8)
        for name in signed {
            let values = headers.filter { $0.name.lowercased() == name }.map { collapse($0.value) }
            out += Array("\(name):".utf8) + Array(values.joined(separator: [UInt8(ascii: ",")])) + [0x0a]
        }
        out += Array("\n\(signed.joined(separator: ";"))\n\(payloadHash)".utf8)
        return out
    }

    static func signature(secret: [UInt8], amzDate: String, authorization a: Authorization, canonical: [UInt8]) -> String {
        let stringToSign = Array("AWS4-HMAC-SHA256\n\(amzDate)\n\(a.scope)\n\(hex(SHA256.hash(data: canonical)))".utf8)
        var key = SymmetricKey(data: Array("AWS4".utf8) + secret)
        for part in [a.date, a.region, a.service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return hex(HMAC<SHA256>.authenticationCode(for: stringToSign, using: key))
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// Trimmed, inner runs of spaces collapsed to one (the canonical header value).
    private static func collapse(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var space = false
        for b in value {
            if b == 0x20 || b == 0x09 { space = !out.isEmpty; continue }
            if space { out.append(0x20); space = false }
            out.append(b)
        }
        return out
    }

    /// Percent-encodes all but unreserved characters and `/`, as Python's quote(s, safe='/~').
    private static func quote(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case 0x30...0x39, 0x41...0x5a, 0x61...0x7a, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.append(Character(UnicodeScalar(b)))
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
