import KeyrackOpenBao
import XCTest

/// OpenBaoError carries the problem and the remedy apart and names no command or option of
/// keyrack's CLI (the CLI words those in OpenBaoError+Text.swift).
final class OpenBaoErrorTests: XCTestCase {
    func testOpenBaoErrorsNameNoCommandOrOption() {
        let errors: [OpenBaoError] = [
            .unreachable(address: "https://h:1", reason: "refused"), .timeout(address: "https://h:1", seconds: 3),
            .closed(address: "https://h:1", during: "login"), .tls(address: "https://h:1", reason: "untrusted"),
            .hostMismatch(address: "https://h:1", host: "h"), .sealed(address: "https://h:1"),
            .loginRefused(method: "cert", address: "https://h:1", reason: "no"), .loginRefused(method: "token", address: "https://h:1", reason: "no"),
            .forbidden(address: "https://h:1", path: "secret/a"), .missingPath(address: "https://h:1", path: "secret/a"),
            .missingField(path: "secret/a", field: "f", available: ["b"]), .fieldNotText(path: "secret/a", field: "f"),
            .server(address: "https://h:1", status: 500, errors: "x"), .plainHTTP(address: "http://h:1"), .noCardCertificate,
            .otherServer(key: "acme.test.K", address: "https://h:1", loginServer: "https://l:1", owner: "bot"),
            .otherServer(key: "acme.test.K", address: "https://h:1", loginServer: nil, owner: "bot"),
        ]
        for e in errors {
            XCTAssertFalse(e.problem.isEmpty)
            XCTAssertEqual(e.description, e.remedy.map { "\(e.problem): \($0)" } ?? e.problem, "problem, then remedy")
            XCTAssertFalse(e.description.contains("keyrack "), e.description)
            for option in ["--openbao", "--exid", "--for", "`"] {
                XCTAssertFalse(e.description.contains(option), e.description)
            }
        }
        XCTAssertNotNil(OpenBaoError.sealed(address: "https://h:1").remedy)
    }
}
