import Foundation
import XCTest
@testable import KeyrackCore
import TestSupport
import KeyrackNames

/// Where the fix is one of a key's settings, KeyrackCore says what is wrong without naming an
/// option and carries the setting as a typed remedy; the CLI words it with the option
/// (Sources/KeyrackPresentation/Manifest/KeySettingRemedy+Text.swift, checked end to end by CLITests).
final class SettingRemedyTests: XCTestCase {
    private let slug = try! Slug(validating: "acme.prod.TOKEN")

    /// The error `attempt` throws, checked to name no option or command in any of its words.
    private func refusal(_ attempt: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> KeyrackError? {
        do { _ = try attempt() } catch let e as KeyrackError {
            XCTAssertFalse(e.message.contains("--"), "names no option: \(e.message)", file: file, line: line)
            XCTAssertFalse(e.message.contains("keyrack "), "names no command: \(e.message)", file: file, line: line)
            return e
        } catch { XCTFail("\(error)", file: file, line: line) }
        XCTFail("not refused", file: file, line: line)
        return nil
    }

    private func set(_ vault: Vault, exid: String? = nil, mech: Mechanism? = nil, options: [String: String] = [:],
                     value: [UInt8]? = nil, addr: String? = nil) -> () throws -> Any {
        { try KeySetRequest(slug: self.slug, vault: vault, exid: exid, mech: mech, maxDuration: nil, options: options, value: value, addr: addr) }
    }

    func testAMissingOrMalformedExternalIDIsGivenWithItsForm() {
        for vault in [Vault.onePassword, .openBao, .awsParams, .awsConfig] {
            let e = refusal(set(vault))
            XCTAssertEqual(e?.problem, "vault \(vault.rawValue) needs an external id")
            XCTAssertEqual(e?.remedy, .give(.exid, KeySetRequest.exidForm(vault)))
            XCTAssertEqual(e?.kind, .usage)
        }
        for (vault, bad) in [(Vault.onePassword, "nothing"), (.openBao, "secret/x"), (.awsParams, "-x"), (.awsConfig, "a b")] {
            let e = refusal(set(vault, exid: bad))
            XCTAssertEqual(e?.problem, "invalid external id '\(bad)' for vault \(vault.rawValue)")
            guard case .give(.exid, let form)? = e?.remedy else { return XCTFail("\(String(describing: e))") }
            XCTAssertFalse(form.isEmpty)
        }
    }

    func testSettingsGivenWhereTheyDoNotBelongAreDropped() {
        XCTAssertEqual(refusal(set(.osEnvvar, exid: "op://a/b/c"))?.remedy, .drop(.exid))
        XCTAssertEqual(refusal(set(.osEnvvar, addr: "https://bao.example:8200"))?.remedy, .drop(.openBaoCluster))
        XCTAssertEqual(refusal(set(.osEnvvar, options: ["region": "eu-west-1"]))?.remedy, .drop(.region))
        let e = refusal(set(.osSecure, options: ["permissions": "contents:read"], value: [1]))
        XCTAssertEqual(e?.problem, "permissions is only used with mech EPHEMERAL_VIA_GITHUB_APP, not with vault os.secure and mech PERMANENT_VIA_REPLICA")
        XCTAssertEqual(e?.remedy, .drop(.permissions))
    }

    func testMalformedOptionsAreGivenAgainInTheirForm() {
        let cases: [(String, String, KeyrackError.Setting)] = [("region", "EU_WEST", .region), ("account", "-x", .account),
                                                                ("repositories", "a b", .repositories), ("permissions", "contents", .permissions)]
        for (name, value, setting) in cases {
            let e = refusal({ try KeyOptions.check([name: value]) })
            XCTAssertEqual(e?.problem, "invalid \(name) '\(value)'")
            guard case .give(setting, _)? = e?.remedy else { return XCTFail("\(name): \(String(describing: e))") }
        }
    }

    func testAMechanismInTheWrongVaultNamesTheVaultsThatServeIt() {
        for mech in [Mechanism.ephemeralViaOpenBaoLease, .ephemeralViaGithubOidc, .ephemeralViaAwsSso, .ephemeralViaGithubApp] {
            let e = refusal(set(.osEnvvar, mech: mech))
            XCTAssertTrue(e?.problem.hasPrefix("mech \(mech.rawValue) needs vault ") == true, "\(String(describing: e))")
            XCTAssertEqual(e?.remedy, .vaultFor(mech))
        }
        let e = refusal({ try GitHubAppSource(json: Array("{}".utf8)) })
        XCTAssertEqual(e?.problem, "the GitHub App source is not JSON {appId, installationId, privateKey}")
        XCTAssertEqual(e?.remedy, .setAgain(.mech, "EPHEMERAL_VIA_GITHUB_APP"))
    }

    func testAPublicKeyOfTheWrongKindNamesTheKindThatTakesIt() throws {
        let dir = try TempDirectory("keyrack-setting-remedy")
        defer { dir.remove() }
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        let owner = try OwnerName("robot")
        func initialise(_ spec: RecipientSpec) -> () throws -> Any {
            { try store.initialise(owner: owner, uid: nil, request: RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: spec)) }
        }
        let ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl robot"
        let age = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
        let wrongForAge = refusal(initialise(.age(AgeRecipientSpec(.recipient(ssh)))))
        XCTAssertEqual(wrongForAge?.problem, "unsupported public key type in the public key given for an age owner")
        XCTAssertEqual(wrongForAge?.remedy, .keyFor(.age))
        XCTAssertEqual(refusal(initialise(.ssh(publicKey: age)))?.remedy, .keyFor(.ssh))
        let classic = refusal(initialise(.age(AgeRecipientSpec(.recipient(age), postQuantum: true))))
        XCTAssertEqual(classic?.problem, "the public key given is a classic age1… key for a post-quantum owner")
        XCTAssertEqual(classic?.remedy, .drop(.postQuantum))

        // A TPM key's PIN is asked before the TPM is touched: an empty one is refused first.
        let empty = Interaction(secret: { _ in [] }, notice: { _ in })
        let noPIN = refusal({ try store.initialise(owner: owner, uid: nil, request: RecipientSetupRequest(
            owner: owner, home: store.home, userHome: dir.url, spec: .tpm(TPMRecipientSpec(pinPolicy: .once)), interaction: empty)) })
        XCTAssertEqual(noPIN?.problem, "an empty PIN was given")
        XCTAssertEqual(noPIN?.remedy, .giveAPIN)
    }

    /// Unlock-time reasons carry the same typed remedies: the manifest's record is what to fix.
    func testAKeyWhoseRecordIsIncompleteStaysLockedWithTheSettingToSetAgain() throws {
        let manifest = HostManifest(owner: OwnerRecord(name: try OwnerName("robot"), via: .age, pubkey: "age1example"))
        func reason(_ vault: Vault, exid: String? = nil) throws -> LockedReason? {
            let entry = KeyEntry(slug: slug, vault: vault, exid: exid, mech: vault.defaultMechanism, maxDuration: nil,
                                 createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-15T10:00:00Z")
            guard case .missing(let why) = try VaultReader.read(entry, manifest: manifest, direct: [:], environment: [:]) else { return nil }
            XCTAssertFalse(why.description.contains("--") || why.description.contains("keyrack "), why.description)
            return why
        }
        XCTAssertEqual(try reason(.osSecure), LockedReason("no os.secure value in the manifest", remedy: .setAgain(nil, "")))
        XCTAssertEqual(try reason(.osDirect)?.remedy, .setAgain(nil, ""))
        XCTAssertEqual(try reason(.onePassword)?.remedy, .setAgain(.exid, "VAULT/ITEM[/FIELD]"))
        XCTAssertEqual(try reason(.awsConfig)?.remedy, .setAgain(.exid, "PROFILE"))
        XCTAssertEqual(try reason(.awsParams)?.remedy, .setAgain(.exid, "/PATH/NAME"))
        XCTAssertEqual(try reason(.osEnvvar), "environment variable TOKEN is not set", "a plain reason says what to do in its own words")

        XCTAssertEqual(AWSCLI.explain(.noRegion, profile: nil), LockedReason("no AWS region", remedy: .giveRegion))
        let item = Array(#"{"fields": [{"id": "password", "value": "a"}, {"label": "credential", "value": "b"}]}"#.utf8)
        guard case .failed(let why) = OnePassword.field(of: item, reference: try OnePasswordReference("v/item")) else { return XCTFail("two fields") }
        XCTAssertEqual(why, LockedReason("item v/item has several credential/password fields (password, credential)", remedy: .setAgain(.exid, "v/item/password")))
    }

    /// The OpenBao logins' failures say the same in the library's words (KeyrackApp's report
    /// words the command: OpenBaoGitHubOIDCUnlockTests checks that line).
    func testLoginFailuresCarryTheirRemedyTyped() {
        let outside = GitHubActionsIDToken.Failure.notInActions
        XCTAssertEqual(outside.remedy, .anotherOpenBaoLogin)
        XCTAssertFalse(outside.description.contains("--") || outside.description.contains("keyrack "), outside.description)
        XCTAssertTrue(outside.description.hasSuffix("nothing was unlocked (outside Actions use another OpenBao login (cert, approle or token))"), outside.description)
        XCTAssertNil(GitHubActionsIDToken.Failure.malformed.remedy)
        XCTAssertThrowsError(try CardJWT.build(owner: "robot", audience: nil) { _ in [0x30, 0x00] }) { error in
            let failure = error as? CardJWT.Failure
            XCTAssertEqual(failure?.remedy, .makeLoginKey)
            XCTAssertEqual(failure?.problem, "the card's signature is not a P-256 ECDSA signature: the slot must hold a P-256 key")
        }
    }

    func testEveryNewRemedyIsWordedWithoutTheCLIsOptions() {
        let remedies: [KeyrackError.Remedy] = [
            .give(.exid, "PROFILE"), .give(.postQuantum, ""), .drop(.org), .drop(.openBaoCluster), .setAgain(.exid, "X"), .setAgain(nil, ""),
            .check([.exid, .region]), .giveRegion, .giveAPIN, .keyFor(.age), .keyFor(.ssh), .anotherOpenBaoLogin, .makeLoginKey,
        ] + Mechanism.allCases.map { .vaultFor($0) }
        for remedy in remedies {
            XCTAssertFalse(remedy.words.isEmpty)
            XCTAssertFalse(remedy.words.contains("--") || remedy.words.contains("keyrack "), remedy.words)
        }
    }
}
