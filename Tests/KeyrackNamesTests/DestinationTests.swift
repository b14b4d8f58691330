import XCTest
import KeyrackNames

/// The `--send-to HOST[:PORT]` rule and its match (issue 27): strict hosts, `*.` for subdomains
/// only, 443 by default, and nothing a URL parser could read two ways.
final class DestinationTests: XCTestCase {
    func testValidDestinationsParseAndPrintCanonically() {
        let cases: [(String, String, UInt16, Bool)] = [
            ("api.github.com", "api.github.com", 443, false),
            ("API.GitHub.com:8443", "api.github.com", 8443, false),
            ("*.amazonaws.com", "amazonaws.com", 443, true),
            ("127.0.0.1:65535", "127.0.0.1", 65535, false),
            ("localhost:8080", "localhost", 8080, false),
            ("[::1]:9000", "::1", 9000, false),
            ("[2001:db8::1]", "2001:db8::1", 443, false),
            ("xn--bcher-kva.example", "xn--bcher-kva.example", 443, false),
        ]
        for (text, host, port, subdomains) in cases {
            guard let d = Destination(text) else { XCTFail("refused \(text)"); continue }
            XCTAssertEqual(d.host, host, text)
            XCTAssertEqual(d.port, port, text)
            XCTAssertEqual(d.subdomains, subdomains, text)
            XCTAssertEqual(Destination(d.description), d, "\(text) → \(d.description) must read back")
        }
        XCTAssertEqual(Destination("api.github.com:443")?.description, "api.github.com")
    }

    func testMalformedDestinationsAreRefused() {
        for bad in ["", "https://api.github.com", "api.github.com/", "user@api.github.com", "user:pw@host",
                    "api.github.com:", "api.github.com:0", "api.github.com:65536", "api.github.com:+1", "api.github.com:08x",
                    "api.github.com.", ".api.github.com", "api..github.com", "-api.github.com", "api-.github.com",
                    "*", "*.com", "**.github.com", "a.*.github.com", "*github.com", "*.127.0.0.1",
                    "api.github.com%2f", "api.gith\u{00fc}b.com", "api github.com", "api.github.com\n", "1.2.3", "1.2.3.256",
                    "01.2.3.4", "1.2.3.4.5", "[::1", "::1", "[::1]x", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[fe80::1%eth0]",
                    String(repeating: "a", count: 64) + ".com", String(repeating: "a.", count: 130) + "com"] {
            XCTAssertNil(Destination(bad), "accepted \(bad.debugDescription)")
            XCTAssertNotNil(Destination.problem(bad))
        }
    }

    func testExactHostMatchesOnlyItselfOnItsPort() {
        let d = Destination("api.github.com")!
        XCTAssertTrue(d.matches(host: "api.github.com", port: 443))
        XCTAssertTrue(d.matches(host: "API.GITHUB.COM", port: 443))
        XCTAssertFalse(d.matches(host: "api.github.com", port: 8443))
        XCTAssertFalse(d.matches(host: "evil.api.github.com", port: 443))
        XCTAssertFalse(d.matches(host: "api.github.com.evil.com", port: 443))
        XCTAssertFalse(d.matches(host: "api.github.co", port: 443))
        XCTAssertFalse(d.matches(host: "github.com", port: 443))
    }

    func testWildcardMatchesSubdomainsNotTheDomainNorLookalikes() {
        let d = Destination("*.amazonaws.com")!
        XCTAssertTrue(d.matches(host: "sts.amazonaws.com", port: 443))
        XCTAssertTrue(d.matches(host: "ssm.eu-west-1.amazonaws.com", port: 443))
        XCTAssertFalse(d.matches(host: "amazonaws.com", port: 443))
        XCTAssertFalse(d.matches(host: "evilamazonaws.com", port: 443))
        XCTAssertFalse(d.matches(host: "amazonaws.com.evil.com", port: 443))
        XCTAssertFalse(d.matches(host: ".amazonaws.com", port: 443))
        XCTAssertFalse(d.matches(host: "a..amazonaws.com", port: 443))
        XCTAssertFalse(d.matches(host: "sts.amazonaws.com", port: 80))
    }

    func testLiteralsMatchAndLoopbackIsKnown() {
        XCTAssertTrue(Destination("127.0.0.1:8080")!.matches(host: "127.0.0.1", port: 8080))
        XCTAssertFalse(Destination("127.0.0.1:8080")!.matches(host: "127.0.0.2", port: 8080))
        XCTAssertTrue(Destination("[::1]:9000")!.matches(host: "[::1]", port: 9000))
        XCTAssertTrue(Destination("127.0.0.1:1")!.isLoopback)
        XCTAssertTrue(Destination("localhost")!.isLoopback)
        XCTAssertTrue(Destination("[::1]")!.isLoopback)
        XCTAssertFalse(Destination("api.github.com")!.isLoopback)
        XCTAssertFalse(Destination("10.0.0.1")!.isLoopback)
    }
}
