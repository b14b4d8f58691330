import XCTest
@testable import KeyrackCore

/// The request for a GitHub Actions ID token, with the HTTP client replaced by a recorder (the
/// end-to-end tests run the stand-in endpoint: OpenBaoGitHubOIDCTests, AWSWebIdentityTests).
final class GitHubActionsIDTokenTests: XCTestCase {
    private let base = "https://pipelines.actions.githubusercontent.com/abc/_apis/distributedtask/idtoken?api-version=2.0"

    func testTheAudienceIsAppendedEncodedAndTheBearerSent() throws {
        XCTAssertEqual(GitHubActionsIDToken.requestURL(base, audience: "https://bao.acme.example"),
                       base + "&audience=https%3A%2F%2Fbao.acme.example")
        XCTAssertEqual(GitHubActionsIDToken.requestURL("https://x.example/t", audience: "sts.amazonaws.com"), "https://x.example/t?audience=sts.amazonaws.com")
        XCTAssertEqual(GitHubActionsIDToken.requestURL(base, audience: nil), base, "no audience: GitHub's default")

        var seen: (String, [(String, String)])?
        let jwt = try GitHubActionsIDToken.request(audience: "a&b=c", environment: [
            "ACTIONS_ID_TOKEN_REQUEST_URL": base, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "req-token"]) { url, headers in
            seen = (url, headers)
            return (200, Array(#"{"count":5,"value":"h.p.s"}"#.utf8))
        }
        XCTAssertEqual(String(decoding: jwt, as: UTF8.self), "h.p.s")
        XCTAssertEqual(seen?.0, base + "&audience=a%26b%3Dc")
        XCTAssertEqual(seen?.1.first { $0.0 == "Authorization" }?.1, "bearer req-token")
    }

    func testEachFailureIsNamed() {
        func failure(_ env: [String: String], status: Int = 200, body: String = "") -> GitHubActionsIDToken.Failure? {
            do {
                _ = try GitHubActionsIDToken.request(audience: nil, environment: env) { _, _ in (status, Array(body.utf8)) }
                return nil
            } catch { return error as? GitHubActionsIDToken.Failure }
        }
        let both = ["ACTIONS_ID_TOKEN_REQUEST_URL": base, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"]
        XCTAssertEqual(failure([:]), .notInActions)
        XCTAssertEqual(failure(["ACTIONS_ID_TOKEN_REQUEST_URL": base]), .noRequestToken)
        XCTAssertEqual(failure(["ACTIONS_ID_TOKEN_REQUEST_URL": "http://192.0.2.2/t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"]),
                       .badURL("http://192.0.2.2/t"), "the request token never crosses the network in clear")
        XCTAssertEqual(failure(both, status: 403, body: #"{"message":"no id-token permission"}"#), .refused(status: 403, message: "no id-token permission"))
        XCTAssertEqual(failure(both, body: #"{"value":"not-a-jwt"}"#), .malformed)
        XCTAssertTrue(GitHubActionsIDToken.Failure.notInActions.description.contains("permissions: id-token: write"))
    }
}
