import Foundation
import KeyrackApp
import KeyrackCore
import TestSupport
import XCTest

/// `set --mech EPHEMERAL_VIA_GITHUB_APP`'s flags as the app layer takes them: where they belong,
/// what is asked for when absent (in order), how the key file is read, and that its contents
/// never reach an error.
final class GitHubAppKeyInputTests: XCTestCase {
    private var dir: TempDirectory!

    override func setUpWithError() throws { dir = try TempDirectory("keyrack-ghapp") }
    override func tearDown() { dir.remove() }

    private func rsaPEM() throws -> URL {
        let pem = dir.file("app.pem")
        XCTAssertEqual(try Run.process("openssl", ["genrsa", "-traditional", "-out", pem.path, "2048"]).status, 0)
        return pem
    }

    func testTheAppsFlagsBelongToAnOSSecureGitHubAppKeyOnly() throws {
        let input = GitHubAppKeyInput(appID: "1", installationID: nil, privateKeyPath: nil)
        XCTAssertNoThrow(try input.check(vault: .osSecure, mech: .ephemeralViaGithubApp))
        XCTAssertThrowsError(try input.check(vault: .osEnvvar, mech: Vault.osEnvvar.defaultMechanism)) { error in
            XCTAssertEqual(error as? GitHubAppKeyInput.Problem, .onlyForAManifestAppKey(given: [.appID]))
        }
        let two = GitHubAppKeyInput(appID: "1", installationID: "2", privateKeyPath: nil)
        XCTAssertThrowsError(try two.check(vault: .onePassword, mech: .ephemeralViaGithubApp)) { error in
            XCTAssertEqual(error as? GitHubAppKeyInput.Problem, .onlyForAManifestAppKey(given: [.appID, .installationID]))
        }
        XCTAssertNoThrow(try GitHubAppKeyInput(appID: nil, installationID: nil, privateKeyPath: nil).check(vault: .osEnvvar, mech: Vault.osEnvvar.defaultMechanism))
    }

    func testAsksForWhatIsMissingInOrderAndExpandsTheHome() throws {
        let pem = try rsaPEM()
        var asked: [GitHubAppKeyInput.Field] = []
        let source = try GitHubAppKeyInput(appID: nil, installationID: nil, privateKeyPath: nil).source(userHome: dir.url) { prompt, field in
            asked.append(field)
            switch field {
            case .appID: return "12345"
            case .installationID: return "678"
            case .privateKey: return "~/app.pem"
            }
        }
        XCTAssertEqual(asked, [.appID, .installationID, .privateKey])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(source)) as? [String: Any])
        XCTAssertEqual(object["appId"] as? Int, 12345)
        XCTAssertEqual(object["installationId"] as? Int, 678)
        XCTAssertEqual(object["privateKey"] as? String, try String(contentsOf: pem, encoding: .utf8))
    }

    func testGivenFlagsAreNotAskedFor() throws {
        let pem = try rsaPEM()
        _ = try GitHubAppKeyInput(appID: "1", installationID: "2", privateKeyPath: pem.path).source { _, field in
            XCTFail("asked for \(field)"); return ""
        }
    }

    func testANonKeyIsRefusedAsUsageWithoutEchoingIt() throws {
        let notAKey = dir.file("not-a-key.pem")
        try Data("-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n".utf8).write(to: notAKey)
        XCTAssertThrowsError(try GitHubAppKeyInput(appID: "1", installationID: "2", privateKeyPath: notAKey.path).source { _, _ in "" }) { error in
            let e = error as? KeyrackError
            XCTAssertEqual(e?.kind, .usage)
            XCTAssertTrue(e?.message.contains("the GitHub App key is not an RSA private key of 2048 bits or more in PEM") == true, "\(error)")
            XCTAssertFalse("\(error)".contains("bm90IGEga2V5"))
        }
    }

    func testABadAppIDIsRefusedAndAMissingFileNamed() throws {
        let pem = try rsaPEM()
        XCTAssertThrowsError(try GitHubAppKeyInput(appID: "my-app", installationID: "2", privateKeyPath: pem.path).source { _, _ in "" }) { error in
            XCTAssertTrue((error as? KeyrackError)?.message.contains("invalid GitHub App app id 'my-app'") == true, "\(error)")
        }
        let absent = dir.file("absent.pem").path
        XCTAssertThrowsError(try GitHubAppKeyInput(appID: "1", installationID: "2", privateKeyPath: absent).source { _, _ in "" }) { error in
            XCTAssertTrue("\(error)".contains(absent), "\(error)")
        }
    }

    func testAnAnswerThatFailsStopsBeforeTheKeyIsRead() throws {
        struct NoTerminal: Error {}
        XCTAssertThrowsError(try GitHubAppKeyInput(appID: nil, installationID: "2", privateKeyPath: "/nonexistent").source { _, _ in throw NoTerminal() }) { error in
            XCTAssertTrue(error is NoTerminal)
        }
    }
}
