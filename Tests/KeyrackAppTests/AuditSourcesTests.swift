import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import TestSupport
import XCTest

/// Where `audit` reads an owner's log (KEYRACK_HOME, or the runtime directory a daemon fell back
/// to) and the checkpoint key `audit verify --manifest` takes from the owner's manifest.
final class AuditSourcesTests: XCTestCase {
    private var dir: TempDirectory!

    override func setUpWithError() throws { dir = try TempDirectory("keyrack-audit-sources") }
    override func tearDown() { dir.remove() }

    private func writeLog(_ home: String, _ owner: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: "\(home)/audit", withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: AuditLog.logPath(home: home, owner: owner)))
    }

    func testTheHomeLogWinsAndTheRuntimeOneIsReadWhenOnlyItExists() throws {
        let home = dir.file("home").path, runtime = dir.file("run").path
        try writeLog(runtime, "bot", "{\"r\":1}\n")
        let fallback = try AuditSources.files(owner: "bot", home: home, runtime: runtime)
        XCTAssertEqual(fallback.path, AuditLog.logPath(home: runtime, owner: "bot"))
        XCTAssertEqual(fallback.log, Array("{\"r\":1}\n".utf8))
        try writeLog(home, "bot", "{\"h\":1}\n{\"h\":2}\n")
        let preferred = try AuditSources.files(owner: "bot", home: home, runtime: runtime)
        XCTAssertEqual(preferred.path, AuditLog.logPath(home: home, owner: "bot"))
        XCTAssertEqual(preferred.locate(2), "\(AuditLog.logPath(home: home, owner: "bot")) line 2")
    }

    func testNoLogAndNoHomeAreOneLineFailures() throws {
        XCTAssertThrowsError(try AuditSources.files(owner: "bot", home: dir.file("home").path, runtime: dir.file("run").path)) { error in
            XCTAssertTrue((error as? CommandFailure)?.message.contains("no access log for 'bot'") == true, "\(error)")
            assertNamesNoCommandOrFlag((error as? CommandFailure)?.message ?? "\(error)")
        }
        XCTAssertThrowsError(try AuditSources.files(owner: "bot", home: nil, runtime: dir.file("run").path)) { error in
            XCTAssertEqual((error as? CommandFailure)?.message, "HOME is not set: set HOME or KEYRACK_HOME")
        }
    }

    func testTheManifestsCheckpointKeyIsTheOneItsSeedMakes() throws {
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        let bot = try OwnerName("bot")
        try OwnerInit.run(.init(owner: bot, spec: .age(AgeRecipientSpec()), viaGiven: true, directory: dir.url, userHome: dir.file("h")),
                          store: store, interaction: .nonInteractive, note: { _ in })
        let identities = try store.identities(for: bot, explicitPaths: [])
        let seed = try XCTUnwrap(try store.open(bot, with: identities).manifest.auditSeed, "init gives the manifest a checkpoint seed")
        let pair = try XCTUnwrap(AuditCrypto.signingKey(seed: seed))
        let keys = try AuditSources.manifestKeys(owner: bot, store: store, identities: try store.identities(for: bot, explicitPaths: []))
        XCTAssertEqual(keys.checkpoint, AuditCrypto.hex(pair.publicKey))
        XCTAssertNil(keys.card, "no card or TPM anchored")
    }

    /// A skipped checkpoint's and a refused anchor's next steps are typed: in the library's
    /// words they name no command or option (the CLI words them: AuditCardCheckpointTests,
    /// AuditTPMCheckpointTests check printed lines).
    func testTheAuditStepsNameNoCommandOrFlag() {
        let steps: [AuditStep] = [.anchorCard(slot: "9a"), .anchorTPM, .restartDaemon, .unlockWithThePIN, .anchorOnTheCard, .checkTheMachine,
                                  .makeCardKey(slot: "82"), .verifyWithoutTheManifest]
        for step in steps { assertNamesNoCommandOrFlag(AuditStepError("p", then: step).description) }
        XCTAssertEqual(AuditStepError("YubiKey 1 slot 82 holds no P-256 key", then: .makeCardKey(slot: "82")).description,
                       "YubiKey 1 slot 82 holds no P-256 key: make a P-256 key in slot 82")
    }
}
