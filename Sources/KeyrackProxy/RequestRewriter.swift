import Foundation
import NIOHTTP1

/// Turns one request the program sent into the bytes that go to the real server: the request
/// line, the headers and (for text bodies up to `maxSubstitutedBody`) the body, with the
/// placeholders of the cards allowed for that server replaced by their values. The values go
/// from the keycards straight into the byte array written to the socket: never into a String.
struct RequestRewriter {
    /// Bodies larger than this are forwarded as they are (placeholders in them travel untouched).
    static let maxSubstitutedBody = 1 << 20

    struct Refused: Error {
        let status: HTTPResponseStatus
        let message: String
    }

    let keycards: Keycards
    let cards: [Int]

    /// Headers that describe one hop, not the request: dropped, the proxy writes its own framing.
    /// Accept-Encoding too: the answer must come uncompressed, so `EchoMask` can see a value the
    /// server echoes (the proxy asks for `identity`).
    static let hopByHop: Set<String> = ["connection", "proxy-connection", "keep-alive", "proxy-authorization", "proxy-authenticate",
                                        "te", "trailer", "transfer-encoding", "upgrade", "content-length", "accept-encoding"]

    /// The bytes of the request as the server gets it (one request, then `Connection: close`),
    /// and how many values were put in. `uri` is in origin form (`/path?query`).
    func rewrite(_ head: HTTPRequestHead, uri: String, hostHeader: String, body: [UInt8]) throws -> (bytes: [UInt8], count: Int) {
        if !cards.isEmpty { try refuseSigV4(head) }
        var count = 0
        func put(_ text: String, _ encoding: Encoding) -> [UInt8] {
            let (bytes, n) = keycards.substitute(Array(text.utf8)[...], cards: cards, as: encoding)
            count += n
            return bytes
        }
        var out: [UInt8] = []
        out += Array(head.method.rawValue.utf8) + [0x20]
        out += put(uri, .percent)
        out += Array(" HTTP/1.1\r\n".utf8)

        var sentBody = body
        let type = head.headers.first(name: "content-type")?.lowercased() ?? ""
        if !cards.isEmpty, !body.isEmpty, body.count <= RequestRewriter.maxSubstitutedBody, let encoding = RequestRewriter.bodyEncoding(type) {
            let (bytes, n) = keycards.substitute(body[...], cards: cards, as: encoding)
            sentBody = bytes
            count += n
        }

        var sawHost = false
        for (name, value) in head.headers {
            let lower = name.lowercased()
            if RequestRewriter.hopByHop.contains(lower) { continue }
            if lower == "host" { sawHost = true }
            out += Array(name.utf8) + Array(": ".utf8)
            if lower == "authorization", let basic = basicCredentials(value) {
                let (bytes, n) = keycards.substitute(basic[...], cards: cards, as: .header)
                count += n
                out += Array("Basic ".utf8) + Array(Data(bytes).base64EncodedString().utf8)
            } else {
                out += put(value, .header)
            }
            out += [0x0d, 0x0a]
        }
        if !sawHost { out += Array("Host: \(hostHeader)\r\n".utf8) }
        if !sentBody.isEmpty || head.headers.contains(name: "content-length") || head.headers.contains(name: "transfer-encoding") {
            out += Array("Content-Length: \(sentBody.count)\r\n".utf8)
        }
        out += Array("Accept-Encoding: identity\r\nConnection: close\r\n\r\n".utf8)
        out += sentBody
        return (out, count)
    }

    /// The decoded `user:pass` of an `Authorization: Basic …` value, else nil.
    private func basicCredentials(_ value: String) -> [UInt8]? {
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)) else { return nil }
        return [UInt8](data)
    }

    /// A request signed with AWS SigV4 whose signature would break once a placeholder is
    /// replaced: refused, rather than forwarded with a signature the server will reject (or,
    /// worse, one made over the placeholder). Re-signing is not built yet.
    private func refuseSigV4(_ head: HTTPRequestHead) throws {
        let auth = head.headers.first(name: "authorization") ?? ""
        let signed = auth.hasPrefix("AWS4-HMAC-SHA256") || head.uri.contains("X-Amz-Signature=") || head.uri.contains("X-Amz-Credential=")
        guard signed else { return }
        let everything = Array((head.uri + "\n" + head.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")).utf8)
        guard keycards.containsPlaceholder(everything[...], of: cards) else { return }
        throw Refused(status: .notImplemented,
                      message: "keyrack proxy: this request is signed with AWS SigV4 over a placeholder; re-signing it with the real credentials is not built yet, so nothing was sent: run this tool with plain `keyrack exec` (no --proxy) for AWS keys")
    }

    /// How a body of this content type takes a value, or nil when it is not text keyrack edits.
    static func bodyEncoding(_ contentType: String) -> Encoding? {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if type == "application/json" || type.hasSuffix("+json") { return .json }
        if type == "application/x-www-form-urlencoded" { return .percent }
        if type.hasPrefix("text/") || type == "application/xml" || type.hasSuffix("+xml") || type == "application/graphql" { return .raw }
        return nil
    }
}
