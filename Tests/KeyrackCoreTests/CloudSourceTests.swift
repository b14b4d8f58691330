import Foundation
import TestSupport
import XCTest
@testable import KeyrackCore
import KeyrackNames

/// The small glue of the cloud mechanisms, on vectors: the GitHub App JWT against Debian's
/// openssl (RSASSA-PKCS1-v1_5 is deterministic, so the signatures must be byte-identical), key
/// options through the manifest codec, the 1Password reference forms, the AWS CLI version rule.
final class CloudSourceTests: XCTestCase {
    func testTheAppJWTIsTheRS256SignatureOpenSSLMakes() throws {
        let dir = try TempDirectory("jwt")
        defer { dir.remove() }
        let pem = dir.file("app.pem").path
        XCTAssertEqual(try Run.process("openssl", ["genrsa", "-traditional", "-out", pem, "2048"]).status, 0)
        let source = try GitHubAppSource(appID: "424242", installationID: "777", privateKeyPEM: try String(contentsOfFile: pem, encoding: .utf8))
        let now = Date(timeIntervalSince1970: 1_767_225_600)
        let jwt = try GitHubAppJWT.sign(source, now: now)
        let parts = jwt.split(separator: ".").map(String.init)
        XCTAssertEqual(parts.count, 3)
        XCTAssertEqual(decode(parts[0]), #"{"alg":"RS256","typ":"JWT"}"#)
        XCTAssertEqual(decode(parts[1]), #"{"exp":1767226140,"iat":1767225540,"iss":424242}"#, "iat 60 s back, exp 10 min after it")
        XCTAssertFalse(jwt.contains("=") || jwt.contains("+") || jwt.contains("/"), "base64url, unpadded")

        let input = try dir.write("input", Array("\(parts[0]).\(parts[1])".utf8))
        let signed = try Run.process("openssl", ["dgst", "-sha256", "-sign", pem, input.path])
        XCTAssertEqual(signed.status, 0, "\(signed)")
        XCTAssertEqual(parts[2], GitHubAppJWT.base64URL(signed.stdout))
    }

    private func decode(_ part: String) -> String? {
        var b64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        return Data(base64Encoded: b64).map { String(decoding: $0, as: UTF8.self) }
    }

    func testTheSourceRefusesWhatIsNotAnAppKeyOrId() throws {
        let pub = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"
        XCTAssertThrowsError(try GitHubAppSource(appID: "1", installationID: "2", privateKeyPEM: pub)) {
            XCTAssertTrue(($0 as? KeyrackError)?.message.contains("not an RSA private key") == true, "\($0)")
        }
        for bad in ["", "012", "12a", "1234567890123456"] {
            XCTAssertThrowsError(try GitHubAppSource(appID: bad, installationID: "2", privateKeyPEM: pub), bad)
        }
        XCTAssertThrowsError(try GitHubAppSource(json: Array(#"{"appId":1.5,"installationId":2,"privateKey":"x"}"#.utf8)))
        XCTAssertEqual(try GitHubAppNarrowing.permissions("contents:read, issues:write"), ["contents": "read", "issues": "write"])
        XCTAssertThrowsError(try GitHubAppNarrowing.permissions("contents:read,contents:write"), "a name given twice")
        XCTAssertThrowsError(try GitHubAppNarrowing.repositories("api,,web"))
        XCTAssertEqual(GitHubAppToken.endpoint(base: "https://ghe.example.com/api/v3/", installation: "7")?.absoluteString,
                       "https://ghe.example.com/api/v3/app/installations/7/access_tokens")
        XCTAssertNil(GitHubAppToken.endpoint(base: "http://ghe.example.com", installation: "7"))
        XCTAssertNotNil(GitHubAppToken.endpoint(base: "http://127.0.0.1:8080", installation: "7"))
    }

    func testKeyOptionsRoundTripAndAHandEditedFlagIsRefused() throws {
        let slug = try Slug(validating: "acme.prod.DB_PASSWORD")
        var m = HostManifest(owner: OwnerRecord(name: try OwnerName("robot"), via: .age, pubkey: "age1example"))
        m.keys[slug] = KeyEntry(slug: slug, vault: .awsParams, exid: "/acme/prod/db", mech: .permanentViaReference, maxDuration: nil,
                                options: ["region": "eu-west-1"], createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-15T10:00:00Z")
        let yaml = try m.encodeYAML()
        XCTAssertTrue(String(decoding: yaml, as: UTF8.self).contains("    options:\n      region: eu-west-1\n"), String(decoding: yaml, as: UTF8.self))
        XCTAssertEqual(try HostManifest.decode(yaml: yaml), m)
        let edited = String(decoding: yaml, as: UTF8.self).replacingOccurrences(of: "region: eu-west-1", with: "region: --debug")
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(edited.utf8))) {
            // A hand-edited manifest is told in the library's words: the region, not an option.
            XCTAssertTrue("\($0)".contains("invalid region '--debug': give the region as REGION, an AWS region such as eu-west-1"), "\($0)")
        }
        XCTAssertThrowsError(try KeySetRequest(slug: slug, vault: .osEnvvar, exid: nil, mech: nil, maxDuration: nil, options: ["region": "eu-west-1"], value: nil))
        XCTAssertThrowsError(try KeySetRequest(slug: slug, vault: .awsConfig, exid: "p", mech: .permanentViaReference, maxDuration: nil, value: nil))
        XCTAssertEqual(try KeySetRequest(slug: slug, vault: .awsConfig, exid: "p", mech: nil, maxDuration: nil, value: nil).mech, .ephemeralViaAwsSso)
    }

    func testOnePasswordReferenceForms() throws {
        XCTAssertEqual(try OnePasswordReference("mechanic/github-pat").secretReference, nil)
        XCTAssertEqual(try OnePasswordReference("mechanic/github-pat/credential").secretReference, "op://mechanic/github-pat/credential")
        XCTAssertEqual(try OnePasswordReference("op://v/i/s/f").secretReference, "op://v/i/s/f")
        for bad in ["mechanic", "op://v/i", "a/b/c/d", "v/-i", "v/i\n", ""] {
            XCTAssertThrowsError(try OnePasswordReference(bad), bad)
        }
    }

    func testAWSCLIVersionRule() {
        XCTAssertTrue(AWSCLI.isRecent("2.9.0"))
        XCTAssertTrue(AWSCLI.isRecent("2.27.1"))
        XCTAssertTrue(AWSCLI.isRecent("3.0"))
        XCTAssertFalse(AWSCLI.isRecent("2.8.13"))
        XCTAssertFalse(AWSCLI.isRecent("1.45.11"))
        XCTAssertFalse(AWSCLI.isRecent(""))
    }
}
