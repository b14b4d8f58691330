import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest

/// `set`'s input checked whole before anything is read (the value, a PIN, the GitHub App's key),
/// and how `list` and `set --json` show where a stored key lives.
final class SetInputCheckTests: XCTestCase {
    private func input(_ vault: Vault, org: String? = "acme", exid: String? = nil, mech: Mechanism? = nil) throws -> KeyChange.SetInput {
        KeyChange.SetInput(owner: try OwnerName("bot"), org: org, env: try EnvName("test"), key: try KeyName("API"), vault: vault, exid: exid, mech: mech,
                           directory: URL(fileURLWithPath: "/"))
    }

    private func assertUsage(_ body: @autoclosure () throws -> Void, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual((error as? KeyrackError)?.kind, .usage, "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(message), "\(error)", file: file, line: line)
        }
    }

    func testEveryUsageErrorIsFoundBeforeAnythingIsRead() throws {
        let none = GitHubAppKeyInput(appID: nil, installationID: nil, privateKeyPath: nil)
        XCTAssertNoThrow(try input(.osSecure).check(gitHubApp: none), "a value vault is checked with a stand-in value")
        XCTAssertNoThrow(try input(.osSecure, org: nil).check(gitHubApp: none), "no org yet: @all stands in (set resolves it from the repository)")
        XCTAssertNoThrow(try input(.onePassword, exid: "op://keyrack/bot-pat/credential").check(gitHubApp: none))
        assertUsage(try input(.osSecure, org: "Bad.Org").check(gitHubApp: none), "invalid org 'Bad.Org'")
        assertUsage(try input(.onePassword).check(gitHubApp: none), "needs")
        assertUsage(try input(.onePassword, exid: "bot-pat").check(gitHubApp: none), "op://VAULT/ITEM/FIELD")
        let app = GitHubAppKeyInput(appID: "1", installationID: nil, privateKeyPath: nil)
        XCTAssertThrowsError(try input(.osEnvvar).check(gitHubApp: app)) { XCTAssertEqual($0 as? GitHubAppKeyInput.Problem, .onlyForAManifestAppKey(given: [.appID])) }
        XCTAssertNoThrow(try input(.osSecure, mech: .ephemeralViaGithubApp).check(gitHubApp: app))
    }

    func testAnOpenBaoKeyShowsItsReferenceAndServerNeverAValue() throws {
        let dir = try TempDirectory("keyrack-set-source")
        defer { dir.remove() }
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        let bot = try OwnerName("bot")
        try OwnerInit.run(.init(owner: bot, spec: .age(AgeRecipientSpec()), viaGiven: true, directory: dir.url, userHome: dir.file("home")),
                          store: store, interaction: .nonInteractive, note: { _ in })
        var bao = try input(.openBao, exid: "secret/robots/bot#token")
        bao.addr = "https://bao.example.net:8200"
        let ids = { try store.identities(for: bot, explicitPaths: []) }
        let stored = try KeyChange.set(bao, store: store, identities: ids, value: { _ in XCTFail("no value is asked"); return [] }, effects: RecordedEffects())
        XCTAssertEqual(stored.entry.source, "openbao:secret/robots/bot#token @ https://bao.example.net:8200")
        var plain = try input(.osSecure)
        plain.key = try KeyName("PLAIN")
        XCTAssertEqual(try KeyChange.set(plain, store: store, identities: ids, value: { _ in Array("v".utf8) }, effects: RecordedEffects()).entry.source, "os.secure")
    }
}
