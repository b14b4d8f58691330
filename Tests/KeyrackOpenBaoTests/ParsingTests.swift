@testable import KeyrackOpenBao
import SecretBytes
import XCTest

/// The small pieces of the OpenBao client that parse text: addresses, TTL fields, the JSON
/// string escaping of request bodies, the server's error lines. The HTTP and TLS paths run
/// against a real `bao server -dev` in CLITests (OpenBaoTests, OpenBaoCardLoginTests).
final class ParsingTests: XCTestCase {
    func testEndpoints() throws {
        let a = try Endpoint("https://bao.example.net:8200")
        XCTAssertEqual([a.host, String(a.port), String(a.isTLS), String(a.isIPAddress)], ["bao.example.net", "8200", "true", "false"])
        XCTAssertEqual(try Endpoint("https://127.0.0.1:8200/ui/").display, "https://127.0.0.1:8200")
        XCTAssertTrue(try Endpoint("https://127.0.0.1").isIPAddress)
        XCTAssertEqual(try Endpoint("https://vault").port, 443)
        XCTAssertEqual(try Endpoint("http://localhost").port, 80)
        let v6 = try Endpoint("https://[::1]:8200")
        XCTAssertEqual([v6.host, String(v6.port), v6.display], ["::1", "8200", "https://[::1]:8200"])
        for bad in ["bao.example.net:8200", "ftp://x", "https://:8200", "https://h:0", "https://h:99999", "https://h:x"] {
            XCTAssertThrowsError(try Endpoint(bad), bad)
        }
    }

    func testTTLFields() {
        XCTAssertEqual(OpenBaoSession.seconds(3600), 3600)
        XCTAssertEqual(OpenBaoSession.seconds("90"), 90)
        XCTAssertEqual(OpenBaoSession.seconds("1h30m"), 5400)
        XCTAssertEqual(OpenBaoSession.seconds("20m"), 1200)
        for none: Any in [0, -5, "0", "", "soon", "1x", ["1h"]] { XCTAssertNil(OpenBaoSession.seconds(none), "\(none)") }
    }

    func testJSONStringEscaping() {
        func quoted(_ text: String) -> String {
            var out: [UInt8] = []
            JSONText.quote(Array(text.utf8), into: &out)
            return String(decoding: out, as: UTF8.self)
        }
        XCTAssertEqual(quoted(#"a"b\c"#), #""a\"b\\c""#)
        XCTAssertEqual(quoted("x\ny\u{1}"), #""x\u000ay\u0001""#)
        XCTAssertEqual(quoted("5a3f-é"), "\"5a3f-é\"")
    }

    /// The login bodies that carry a secret, as the server receives them (the bytes the
    /// concatenated strings wrote before): the fields in the order given, a nil role left out,
    /// a secret escaped like any string.
    func testSecretLoginBodies() {
        func text(_ fields: [(name: String, value: SecretRequestBody.Value?)]) -> String {
            String(decoding: SecretRequestBody.json(fields), as: UTF8.self)
        }
        let roleID = LockedBytes(Array("5a3f-role".utf8)), secretID = LockedBytes(Array("s\"e\\c\n".utf8))
        XCTAssertEqual(text([("role_id", .secret(roleID)), ("secret_id", .secret(secretID))]),
                       #"{"role_id":"5a3f-role","secret_id":"s\"e\\c\u000a"}"#)
        let jwt = LockedBytes(Array("eyJ.eyJ.sig".utf8))
        XCTAssertEqual(text([("role", .text("ci")), ("jwt", .secret(jwt))]), #"{"role":"ci","jwt":"eyJ.eyJ.sig"}"#)
        XCTAssertEqual(text([("role", nil), ("jwt", .secret(jwt))]), #"{"jwt":"eyJ.eyJ.sig"}"#)
    }

    /// The bodies without a secret are Encodable types; these are the bytes the server receives,
    /// the same every time: keys sorted, a lease id's slashes as they are, an absent cert role
    /// left out.
    func testRequestBodiesAsTheServerReceivesThem() throws {
        func text<Body: Encodable>(_ body: Body) throws -> String { String(decoding: try RequestBody.json(body), as: UTF8.self) }
        XCTAssertEqual(try text(RequestBody.LeaseRenewal(leaseID: "database/creds/app/Xy9\"q", increment: 3600)),
                       #"{"increment":3600,"lease_id":"database/creds/app/Xy9\"q"}"#)
        XCTAssertEqual(try text(RequestBody.TokenRenewal(increment: 86400)), #"{"increment":86400}"#)
        XCTAssertEqual(try text(RequestBody.CertLogin(name: "laptop")), #"{"name":"laptop"}"#)
        XCTAssertEqual(try text(RequestBody.CertLogin(name: nil)), "{}")
        XCTAssertEqual(try text(RequestBody.Empty()), "{}")
    }

    func testServerErrorLines() {
        let body = Array(#"{"errors":["permission denied","second\nline"]}"#.utf8)
        XCTAssertEqual(OpenBaoSession.errors(body, or: "none"), "permission denied; second line")
        XCTAssertEqual(OpenBaoSession.errors(Array("not json".utf8), or: "HTTP 500"), "HTTP 500")
        XCTAssertEqual(OpenBaoSession.errors(Array(#"{"errors":[]}"#.utf8), or: "x"), "x")
    }

    func testErrorsSayWhatToDoAndWhichAreUnreachable() {
        let missing = OpenBaoError.missingField(path: "secret/a", field: "f", available: ["z", "b"])
        XCTAssertEqual(missing.description, "the secret secret/a has no field 'f' (its fields are b, z): fix the secret's #FIELD")
        XCTAssertEqual(missing.problem, "the secret secret/a has no field 'f' (its fields are b, z)")
        XCTAssertFalse(missing.isUnreachable)
        XCTAssertFalse(OpenBaoError.sealed(address: "https://h:1").isUnreachable)
        XCTAssertFalse(OpenBaoError.forbidden(address: "https://h:1", path: "p").isUnreachable)
        XCTAssertTrue(OpenBaoError.timeout(address: "https://h:1", seconds: 3).isUnreachable)
        XCTAssertTrue(OpenBaoError.closed(address: "https://h:1", during: "x").isUnreachable)
    }
}
