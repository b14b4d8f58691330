import KeyrackNames
import XCTest

/// The one parse of a server address and the one rule of where plain http may go, shared by
/// `set`/`set-default`, the GitHub API base and the HTTP client's last check before connect.
final class ServerAddressTests: XCTestCase {
    func testPlainHTTPIsAllowedToLoopbackOnly() throws {
        for loopback in ["http://127.0.0.1:8200", "http://127.255.3.4", "http://localhost:1", "http://LOCALHOST", "http://[::1]:8200", "http://127.0.0.1:8200/v1/"] {
            XCTAssertNil(try ServerAddress(parsing: loopback).plainHTTPRefusal, loopback)
        }
        // Off the machine, or not unambiguously loopback (inet_aton reads 0177.0.0.1 as octal,
        // 127.1 as 127.0.0.1: the rule refuses what it cannot read one way only).
        for off in ["http://192.0.2.2:18300", "http://bao.example.net:8200", "http://128.0.0.1", "http://0177.0.0.1",
                    "http://127.1", "http://127.0.0.1.example.net", "http://localhost.example.net", "http://[::2]", "http://[::ffff:192.0.2.2]"] {
            let refusal = try ServerAddress(parsing: off).plainHTTPRefusal
            XCTAssertNotNil(refusal, off)
            XCTAssertTrue(refusal?.contains("use https://") == true, off)
        }
        XCTAssertNil(try ServerAddress(parsing: "https://192.0.2.2:8200").plainHTTPRefusal, "https goes anywhere")
    }

    func testParsesHostAndPortAndRefusesUserInfoAndOddCharacters() throws {
        let a = try ServerAddress(parsing: "https://Bao.Example.net:8200/ui/")
        XCTAssertEqual([a.host, String(a.port), a.description], ["Bao.Example.net", "8200", "https://Bao.Example.net:8200"])
        XCTAssertEqual(a, try ServerAddress(parsing: "HTTPS://bao.example.net:8200"), "one server, two spellings")
        XCTAssertNotEqual(a, try ServerAddress(parsing: "https://bao.example.net:8201"))
        XCTAssertEqual(try ServerAddress(parsing: "http://localhost").port, 80)
        XCTAssertEqual(try ServerAddress(parsing: "https://[::1]").description, "https://[::1]:443")
        for bad in ["bao:8200", "ftp://x", "https://", "https://:1", "https://h:0", "https://h:65536", "https://h:x",
                    "http://127.0.0.1@192.0.2.2:80", "https://h#@x", "https://h%2e", "https://[zz]:1", "https://[::1]x"] {
            XCTAssertThrowsError(try ServerAddress(parsing: bad), bad)
        }
    }
}
