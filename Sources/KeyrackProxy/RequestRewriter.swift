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
                                        "te", "trailer", "transfer-encoding", "upgrade", "content-length", "accept-encoding", "expect"]

    /// The bytes of the request as the server gets it (with `Connection: close` unless the
    /// proxy keeps the connection for the next request), and how many values were put in. `uri` is in origin form (`/path?query`).
    func rewrite(_ head: HTTPRequestHead, uri: String, hostHeader: String, body: [UInt8], keepAlive: Bool = false) throws -> (bytes: [UInt8], count: Int, cards: Set<Int>) {
        let sigV4 = cards.isEmpty ? nil : try signedWithPlaceholder(head, uri: uri, body: body)
        var count = 0
        // Which cards' values went in, for the access log's record of this request.
        var used = Set<Int>(sigV4?.cards ?? [])
        func put(_ text: String, _ encoding: Encoding) -> [UInt8] {
            let (bytes, n) = keycards.substitute(Array(text.utf8)[...], cards: cards, as: encoding, used: &used)
            count += n
            return bytes
        }
        let target = put(uri, .percent)

        var sentBody = body
        let type = head.headers.first(name: "content-type")?.lowercased() ?? ""
        if !cards.isEmpty, !body.isEmpty, body.count <= RequestRewriter.maxSubstitutedBody, let encoding = RequestRewriter.bodyEncoding(type) {
            let (bytes, n) = keycards.substitute(body[...], cards: cards, as: encoding, used: &used)
            sentBody = bytes
            count += n
        }

        // A header the program signed is kept as it came, whatever hop it describes.
        let signed = Set(sigV4?.authorization.signedHeaders ?? [])
        var headers: [(name: String, value: [UInt8])] = []
        for (name, value) in head.headers {
            let lower = name.lowercased()
            if RequestRewriter.hopByHop.contains(lower) && !(signed.contains(lower) && lower != "content-length") { continue }
            if lower == "authorization", let basic = basicCredentials(value) {
                let (bytes, n) = keycards.substitute(basic[...], cards: cards, as: .header, used: &used)
                count += n
                headers.append((name, Array("Basic ".utf8) + Array(Data(bytes).base64EncodedString().utf8)))
            } else {
                headers.append((name, put(value, .header)))
            }
        }
        if !head.headers.contains(name: "host") { headers.append(("Host", Array(hostHeader.utf8))) }
        if !sentBody.isEmpty || head.headers.contains(name: "content-length") || head.headers.contains(name: "transfer-encoding") {
            headers.append(("Content-Length", Array(String(sentBody.count).utf8)))
        }
        if !signed.contains("accept-encoding") { headers.append(("Accept-Encoding", Array("identity".utf8))) }
        if !keepAlive { headers.append(("Connection", Array("close".utf8))) }

        if let sigV4 {
            try resign(&headers, sigV4, method: head.method.rawValue, uri: String(decoding: target, as: UTF8.self), body: sentBody)
            count += 1
        }

        var out = Array(head.method.rawValue.utf8) + [0x20] + target + Array(" HTTP/1.1\r\n".utf8)
        for (name, value) in headers { out += Array(name.utf8) + Array(": ".utf8) + value + [0x0d, 0x0a] }
        out += [0x0d, 0x0a]
        out += sentBody
        return (out, count, used)
    }

    /// The decoded `user:pass` of an `Authorization: Basic …` value, else nil.
    private func basicCredentials(_ value: String) -> [UInt8]? {
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic",
              let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)) else { return nil }
        return [UInt8](data)
    }

    struct SignedRequest {
        let authorization: SigV4.Authorization
        let keyID: [UInt8]
        let secret: [UInt8]
        /// The key id's card and the secret's.
        let cards: [Int]
    }

    /// A request signed with AWS SigV4 over this run's placeholder key id: its signature is
    /// checked with the placeholder secret (a request signed otherwise is refused: it was not
    /// made by the program with this run's placeholders), and the real key and secret returned
    /// for `resign`. A signed request that carries no placeholder of an allowed key is nil (it
    /// goes as it is); the presigned-URL form over a placeholder is refused (not built).
    private func signedWithPlaceholder(_ head: HTTPRequestHead, uri: String, body: [UInt8]) throws -> SignedRequest? {
        if uri.contains("X-Amz-Signature=") || uri.contains("X-Amz-Credential=") {
            guard keycards.containsPlaceholder(Array(uri.utf8)[...], of: cards) else { return nil }
            throw Refused(status: .notImplemented, message: "keyrack proxy: a presigned AWS URL over a placeholder cannot be re-signed (only the Authorization header form is); nothing was sent")
        }
        guard let header = head.headers.first(name: "authorization"), header.hasPrefix("AWS4-HMAC-SHA256") else { return nil }
        guard let auth = SigV4.Authorization(header) else {
            throw Refused(status: .badRequest, message: "keyrack proxy: malformed AWS4-HMAC-SHA256 Authorization header; nothing was sent")
        }
        guard let keys = keycards.sigV4Keys(keyID: Array(auth.keyID.utf8), among: cards) else {
            let everything = Array((uri + "\n" + head.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")).utf8)
            guard keycards.containsPlaceholder(everything[...], of: cards) else { return nil }
            throw Refused(status: .forbidden, message: "keyrack proxy: this request is signed with AWS SigV4 but not with a key id and secret this run may send here (both must be allowed to go to this host); nothing was sent")
        }
        guard let amzDate = head.headers.first(name: "x-amz-date") else {
            throw Refused(status: .badRequest, message: "keyrack proxy: a SigV4 request without X-Amz-Date cannot be re-signed; nothing was sent")
        }
        let original = head.headers.map { (name: $0.name, value: Array($0.value.utf8)) }
        let payload = head.headers.first(name: "x-amz-content-sha256") ?? SigV4.sha256Hex(body)
        let canonical = SigV4.canonicalRequest(method: head.method.rawValue, uri: uri, headers: original, signed: auth.signedHeaders,
                                               payloadHash: payload, service: auth.service)
        guard SigV4.signature(secret: keys.placeholderSecret, amzDate: amzDate, authorization: auth, canonical: canonical) == auth.signature else {
            throw Refused(status: .forbidden, message: "keyrack proxy: the AWS SigV4 signature was not made with this run's placeholder secret; nothing was sent")
        }
        return SignedRequest(authorization: auth, keyID: keys.keyID, secret: keys.secret, cards: keys.cards)
    }

    /// Signs the request as it goes out (real session token already in its header, final body)
    /// with the real key and secret, in place of the program's Authorization header.
    private func resign(_ headers: inout [(name: String, value: [UInt8])], _ signed: SignedRequest, method: String, uri: String, body: [UInt8]) throws {
        let a = signed.authorization
        guard let amzDate = headers.first(where: { $0.name.lowercased() == "x-amz-date" }).map({ String(decoding: $0.value, as: UTF8.self) }) else { return }
        // A payload hash the program sent stays, unless the body changed under it.
        if let i = headers.firstIndex(where: { $0.name.lowercased() == "x-amz-content-sha256" }),
           String(decoding: headers[i].value, as: UTF8.self).count == 64 {
            headers[i].value = Array(SigV4.sha256Hex(body).utf8)
        }
        let payload = headers.first { $0.name.lowercased() == "x-amz-content-sha256" }.map { String(decoding: $0.value, as: UTF8.self) } ?? SigV4.sha256Hex(body)
        let canonical = SigV4.canonicalRequest(method: method, uri: uri, headers: headers, signed: a.signedHeaders, payloadHash: payload, service: a.service)
        let signature = SigV4.signature(secret: signed.secret, amzDate: amzDate, authorization: a, canonical: canonical)
        let value = Array("AWS4-HMAC-SHA256 Credential=".utf8) + signed.keyID + Array("/\(a.scope), SignedHeaders=\(a.signedHeaders.joined(separator: ";")), Signature=\(signature)".utf8)
        for i in headers.indices where headers[i].name.lowercased() == "authorization" { headers[i].value = value }
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
