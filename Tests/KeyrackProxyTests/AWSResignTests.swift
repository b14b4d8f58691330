import KeyrackNames
import NIOHTTP1
import XCTest
@testable import KeyrackProxy

/// SigV4 re-signing (issue 27): a request signed with this run's placeholder pair goes out signed
/// with the real pair (and the real session token); one whose signature the placeholder secret did
/// not make is refused, and nothing is sent.
final class AWSResignTests: XCTestCase {
    private let keycards = Keycards([
        Keycard(name: "AWS_ACCESS_KEY_ID", placeholder: Array("ASIAPLACEHOLDER00000".utf8), value: Array("ASIAREALKEY000000000".utf8), destinations: [Destination("sts.amazonaws.com")!]),
        Keycard(name: "AWS_SECRET_ACCESS_KEY", placeholder: Array("placeholdersecret/0000000000000000000000".utf8), value: Array("realsecret+000000000000000000000000000000".utf8), destinations: [Destination("sts.amazonaws.com")!]),
        Keycard(name: "AWS_SESSION_TOKEN", placeholder: Array("placeholdertoken".utf8), value: Array("realtoken/+=".utf8), destinations: [Destination("sts.amazonaws.com")!]),
    ])

    private func request(secret: String, signatureOverride: String? = nil) -> (HTTPRequestHead, [UInt8]) {
        let body = Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)
        var headers = HTTPHeaders([("Host", "sts.amazonaws.com"), ("X-Amz-Date", "20260101T000000Z"), ("X-Amz-Security-Token", "placeholdertoken"),
                                   ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Content-Length", String(body.count))])
        let auth = SigV4.Authorization("AWS4-HMAC-SHA256 Credential=ASIAPLACEHOLDER00000/20260101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=00")!
        let canonical = SigV4.canonicalRequest(method: "POST", uri: "/", headers: headers.map { ($0.name, Array($0.value.utf8)) },
                                               signed: auth.signedHeaders, payloadHash: SigV4.sha256Hex(body), service: "sts")
        let signature = signatureOverride ?? SigV4.signature(secret: Array(secret.utf8), amzDate: "20260101T000000Z", authorization: auth, canonical: canonical)
        headers.add(name: "Authorization", value: "AWS4-HMAC-SHA256 Credential=ASIAPLACEHOLDER00000/20260101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=\(signature)")
        return (HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: headers), body)
    }

    func testPlaceholderSignedRequestIsReSignedWithTheRealPair() throws {
        let (head, body) = request(secret: "placeholdersecret/0000000000000000000000")
        let cards = keycards.allowed(host: "sts.amazonaws.com", port: 443, tls: true)
        let out = String(decoding: try RequestRewriter(keycards: keycards, cards: cards).rewrite(head, uri: "/", hostHeader: "sts.amazonaws.com", body: body).bytes, as: UTF8.self)
        XCTAssertTrue(out.contains("X-Amz-Security-Token: realtoken/+=\r\n"), out)
        XCTAssertFalse(out.contains("PLACEHOLDER") || out.contains("placeholder"), out)
        // What AWS would compute with the real pair over the request as sent.
        let sent = request(secret: "realsecret+000000000000000000000000000000")
        var real = sent.0.headers
        real.replaceOrAdd(name: "X-Amz-Security-Token", value: "realtoken/+=")
        let auth = SigV4.Authorization("AWS4-HMAC-SHA256 Credential=ASIAREALKEY000000000/20260101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=00")!
        let canonical = SigV4.canonicalRequest(method: "POST", uri: "/", headers: real.map { ($0.name, Array($0.value.utf8)) }, signed: auth.signedHeaders,
                                               payloadHash: SigV4.sha256Hex(body), service: "sts")
        let expected = SigV4.signature(secret: Array("realsecret+000000000000000000000000000000".utf8), amzDate: "20260101T000000Z", authorization: auth, canonical: canonical)
        XCTAssertTrue(out.contains("Authorization: AWS4-HMAC-SHA256 Credential=ASIAREALKEY000000000/20260101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=\(expected)\r\n"), out)
    }

    func testASignatureNotMadeWithThePlaceholderSecretIsRefused() {
        for (secret, override) in [("some other secret", nil as String?), ("placeholdersecret/0000000000000000000000", String(repeating: "0", count: 64))] {
            let (head, body) = request(secret: secret, signatureOverride: override)
            let cards = keycards.allowed(host: "sts.amazonaws.com", port: 443, tls: true)
            XCTAssertThrowsError(try RequestRewriter(keycards: keycards, cards: cards).rewrite(head, uri: "/", hostHeader: "sts.amazonaws.com", body: body)) { error in
                XCTAssertEqual((error as? RequestRewriter.Refused)?.status, .forbidden)
            }
        }
    }
}
