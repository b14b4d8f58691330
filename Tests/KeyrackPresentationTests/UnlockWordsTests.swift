@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import KeyrackPresentation
import XCTest

/// What `unlock` says: its refusals in its flags, its events on stderr, its answer on stdout.
final class UnlockWordsTests: XCTestCase {
    private let slug = Slug(org: "acme", env: "prod", key: "TOKEN")!

    func testRefusalsNameTheFlagsThatFixThem() {
        XCTAssertEqual(UnlockRequest.check(env: nil, key: nil, duration: nil, identityAgent: false)?.cliText,
                       "missing --env: name the env to unlock (or pass --identity-agent to start only the identity agent)")
        XCTAssertEqual(UnlockRequest.check(env: "sudo", key: nil, duration: nil, identityAgent: false)?.cliText,
                       "sudo keys are unlocked one at a time: add --key KEY (e.g. keyrack unlock --env sudo --key GITHUB_TOKEN)")
        XCTAssertEqual(UnlockRequest.Problem.agentOutlivesCap(duration: "48h", capSeconds: 9 * 3600).cliText,
                       "--duration 48h is longer than the identity agent may live (9h, an owner's longest grant): give --duration 9h or less")
        XCTAssertEqual(UnlockRequest.Problem.keyWithoutEnv.cliText, "--key needs --env")
        XCTAssertNil(UnlockRequest.check(env: "test", key: nil, duration: nil, identityAgent: false))
    }

    func testEventsReadAsNotesAndWarnings() {
        XCTAssertEqual(UnlockRendering.line(.capped(slug, to: .sudo)), "note: acme.prod.TOKEN is capped to 30m (the cap of sudo keys; set --max-duration on the key to allow more)")
        XCTAssertEqual(UnlockRendering.line(.capped(slug, to: .maxDuration("1h"))), "note: acme.prod.TOKEN is capped to 1h by its maxDuration")
        XCTAssertEqual(UnlockRendering.line(.stayedLocked(slug, why: "op is signed out")), "warning: acme.prod.TOKEN stays locked: op is signed out")
        XCTAssertEqual(UnlockRendering.line(.stayedLocked(slug, why: LockedReason("no parameter name recorded", remedy: .setAgain(.exid, "/PATH/NAME")))),
                       "warning: acme.prod.TOKEN stays locked: no parameter name recorded: set it again with --exid /PATH/NAME")
        XCTAssertEqual(UnlockRendering.line(.openedWithBackup(owner: "ci", recipient: "paper")), "opened the manifest of 'ci' with backup recipient paper")
        XCTAssertEqual(UnlockRendering.line(.cardCheckpoint(.tpmSigned(seq: 12))), "note: the TPM signed the access log's head (record 12)")
    }

    /// The keys' answer: a header, then each key and how long it stays unlocked, in one buffer.
    func testTheUnlockedKeysReadOneLineEach() {
        let other = Slug(org: "acme", env: "prod", key: "DB")!
        let grants = [GrantInfo(slug: slug, vault: "os.secure", remainingMilliseconds: 9 * 3_600_000, expiresAtWallMilliseconds: 0),
                      GrantInfo(slug: other, vault: "1password", remainingMilliseconds: 90_000, expiresAtWallMilliseconds: 0)]
        let text = String(decoding: UnlockRendering.text(owner: "human", recipient: "age1yubikey1q", unlocked: grants), as: UTF8.self)
        XCTAssertEqual(text, "unlocked 2 key(s) of 'human' with recipient age1yubikey1q:\n  acme.prod.TOKEN  expires in 9h00m\n  acme.prod.DB  expires in 1m\n")
    }

    /// Written through a pointer into a buffer measured first, `ORG.ENV.` and the time left
    /// reused from the line before when the same: orgs and envs changing and coming back, names
    /// longer than 15 bytes (not stored inline), times changing and coming back, and no grant.
    func testTheUnlockedKeysReadAsEachLineAloneWouldWhateverTheyShare() {
        let texts = ["acme.prod.A", "acme.prod.B", "acme.test.A", "a-long-organisation.test.LONGER_THAN_FIFTEEN_BYTES", "acme.test.C", "@all.all.KEY.WITH.DOTS"]
        let times: [UInt64] = [9 * 3_600_000, 9 * 3_600_000, 59_999, 9 * 3_600_000, 3_600_000 + 9 * 60_000, 0]
        let grants = zip(texts, times).map { GrantInfo(slug: Slug(parsing: $0)!, vault: "os.secure", remainingMilliseconds: $1, expiresAtWallMilliseconds: 0) }
        let expected = "unlocked 6 key(s) of 'o' with recipient r:\n" + zip(texts, times).map { "  \($0)  expires in \(TextFormat.remaining(milliseconds: $1))\n" }.joined()
        XCTAssertEqual(String(decoding: UnlockRendering.text(owner: "o", recipient: "r", unlocked: grants), as: UTF8.self), expected)
        XCTAssertTrue(expected.contains("  acme.test.A  expires in 59s\n  a-long-organisation.test.LONGER_THAN_FIFTEEN_BYTES  expires in 9h00m\n  acme.test.C  expires in 1h09m\n"))
        XCTAssertEqual(UnlockRendering.text(owner: "o", recipient: "r", unlocked: []), Array("unlocked 0 key(s) of 'o' with recipient r:\n".utf8))
    }

    func testTheIdentityAgentSaysHowAgeClientsReachIt() {
        let agent = IdentityAgentStart.Result(owner: "ci", labels: ["primary (age1…)"], remainingMilliseconds: 1_800_000, expiresAtWallMilliseconds: 0)
        XCTAssertEqual(UnlockRendering.lines(agent), [
            "identity agent of 'ci' unlocked for 30m with 1 identity:",
            "  primary (age1…)",
            "age clients use it through the identity `keyrack identity --for ci` prints",
        ])
    }
}
