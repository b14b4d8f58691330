import KeyrackNames
import XCTest
@testable import KeyrackApp

/// What the program of `exec --proxy` is given (issue 27): placeholders in place of values, the
/// proxy in every variable clients read, the run's CA bundle in every CA variable, and NO_PROXY
/// without an entry that would take an allowed host around the proxy.
final class ProxyEnvironmentTests: XCTestCase {
    func testPlaceholdersProxyAndCAVariables() {
        let env = ProxyEnvironment.make(base: ["PATH": "/bin", "GITHUB_TOKEN": "stale", "ALL_PROXY": "socks5://x", "SSL_CERT_FILE": "/mine.pem"],
                                        placeholders: [("GITHUB_TOKEN", Array("ghs_fake".utf8))], proxyPort: 4242,
                                        caFile: "/tmp/keyrack-proxy.x/ca-bundle.pem", allowedHosts: [])
        XCTAssertEqual(env["GITHUB_TOKEN"], "ghs_fake")
        XCTAssertEqual(env["PATH"], "/bin")
        for name in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] { XCTAssertEqual(env[name], "http://127.0.0.1:4242", name) }
        for name in ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO", "AWS_CA_BUNDLE"] {
            XCTAssertEqual(env[name], "/tmp/keyrack-proxy.x/ca-bundle.pem", name)
        }
        XCTAssertNil(env["ALL_PROXY"])
    }

    func testNoProxyLosesEveryEntryThatWouldBypassAnAllowedHost() {
        let hosts = [Destination("api.github.com")!, Destination("*.amazonaws.com")!, Destination("127.0.0.1:8443")!]
        let env = ProxyEnvironment.make(base: ["NO_PROXY": "localhost, .github.com,api.github.com:443,amazonaws.com,sts.amazonaws.com,127.0.0.1,10.0.0.0/8,127.0.0.0/8,intranet.corp",
                                               "no_proxy": "*"],
                                        placeholders: [], proxyPort: 1, caFile: "/ca", allowedHosts: hosts)
        XCTAssertEqual(env["NO_PROXY"], "localhost,10.0.0.0/8,intranet.corp")
        XCTAssertEqual(env["no_proxy"], "", "`*` would send everything around the proxy")
    }

    func testPlanGivesEachKeyADistinctPlaceholderAndSaysWhenOneGoesNowhere() throws {
        let plan = try KeycardPlan.make([
            .init(name: "A", value: Array("ghs_aaaaaaaaaaaaaaaaaaaaaaaa".utf8), sendTo: ["api.github.com"], remainingMilliseconds: 60_000),
            .init(name: "B", value: Array("ghs_aaaaaaaaaaaaaaaaaaaaaaaa".utf8), sendTo: [], remainingMilliseconds: 60_000),
        ], now: 1000)
        XCTAssertEqual(plan.placeholders.count, 2)
        XCTAssertNotEqual(plan.placeholders[0].placeholder, plan.placeholders[1].placeholder)
        XCTAssertEqual(plan.cards[0].expiresAtMilliseconds, 61_000)
        XCTAssertEqual(plan.hosts, [Destination("api.github.com")!])
        XCTAssertEqual(plan.unsent, ["B"], "the CLI words its note `B has no --send-to` (ExecCommand)")
        assertNamesNoCommandOrFlag(ExecProxy.plainNoDestination("B"))
        XCTAssertEqual(plan.summary, "A → api.github.com; B → nowhere")
    }
}
