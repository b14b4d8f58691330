import Foundation
import TestSupport
import XCTest

/// A TPM owner's TPM signs the access log (issue 31): `keyrack audit anchor` (by default `--via
/// tpm` for a TPM owner) makes a P-256 signing key in the owner's TPM and records it in the
/// encrypted manifest; each unlock then has the TPM sign the log's head, which the daemon appends
/// as a `card-checkpoint` (slot `tpm`); `audit verify --manifest` checks it with the manifest's
/// key. Real parts: swtpm (a fresh one per test) through libtss2, the built binaries, the daemon.
final class AuditTPMCheckpointTests: XCTestCase {
    private var tpm: SoftwareTPM!
    private var h: DaemonHarness!

    override func setUpWithError() throws {
        tpm = try SoftwareTPM()
        setenv("KEYRACK_TPM_TCTI", tpm.tcti, 1)
        h = try DaemonHarness()
    }

    override func tearDown() {
        h?.tearDown()
        unsetenv("KEYRACK_TPM_TCTI")
        tpm?.stop()
    }

    /// Owner `bot` on this swtpm (no PIN), one key, the TPM anchored as the log's signer.
    private func anchoredOwner() throws -> String {
        try h.ok(["init", "--for", "bot", "--via", "tpm"])
        try h.secure("bot", "K", "v-" + UUID().uuidString)
        let anchored = try ManifestHarness.json(try h.ok(["audit", "anchor", "--for", "bot", "--json"]))
        XCTAssertEqual(anchored["slot"] as? String, "tpm", "\(anchored)")
        let key = try XCTUnwrap(anchored["cardKey"] as? String)
        XCTAssertEqual(key.count, 130, "a P-256 point in hex")
        return key
    }

    func testEachUnlockOfATPMOwnerAddsATPMSignedCheckpointThatVerifiesWithTheManifest() throws {
        let key = try anchoredOwner()
        // The second without KEYRACK_TPM_TCTI: the TPM the identity file records signs.
        for env: [String: String?] in [[:], ["KEYRACK_TPM_TCTI": nil]] {
            let r = try h.ok(["unlock", "--for", "bot", "--env", "test"], env: env)
            XCTAssertTrue(r.err.contains("note: the TPM signed the access log's head (record "), r.err)
            try h.ok(["relock", "--for", "bot"])
        }
        for r in try h.assertCheckpointsCoverUnlocks("bot", count: 2, slot: "tpm", signedBy: "signed by the TPM") {
            XCTAssertEqual(r["card_key"] as? String, key, "signed by the key the manifest records")
        }

        let verified = try h.ok(["audit", "verify", "--for", "bot", "--manifest"])
        XCTAssertTrue(verified.out.hasSuffix("; 2 card checkpoint(s) by the owner's card\n"), verified.out)
        XCTAssertEqual(try ManifestHarness.json(try h.ok(["audit", "verify", "--for", "bot", "--manifest", "--json"]))["cardCheckpoints"] as? Int, 2)
    }

    func testACheckpointSignedByAnotherTPMFailsVerifyNamingIt() throws {
        // A second recipient (an age key) lets one who holds it open the manifest without the
        // owner's TPM: the attacker of this test.
        let backup = h.machine.dir.file("backup.txt")
        let backupPub = try ageKeyPair(at: backup)
        _ = try anchoredOwner()
        try h.ok(["recipient", "add", "--for", "bot", "--pubkey", backupPub, "--label", "paper"])
        try h.ok(["unlock", "--for", "bot", "--env", "test"])
        try h.ok(["relock", "--for", "bot"])
        try h.ok(["audit", "verify", "--for", "bot", "--manifest"])
        let manifestURL = h.machine.keyrackHome.appendingPathComponent("host.bot.yml.age")
        let untouched = try Data(contentsOf: manifestURL)

        // With the backup key and another TPM: re-anchor to that TPM and unlock, so that TPM
        // signs a checkpoint into the owner's log.
        let other = try SoftwareTPM()
        defer { other.stop() }
        let there: [String: String?] = ["KEYRACK_TPM_TCTI": other.tcti]
        try h.ok(["audit", "anchor", "--for", "bot", "--via", "tpm", "--identity", backup.path], env: there)
        let r = try h.ok(["unlock", "--for", "bot", "--env", "test", "--identity", backup.path], env: there)
        XCTAssertTrue(r.err.contains("note: the TPM signed the access log's head"), r.err)
        let forged = try XCTUnwrap(try h.checkpoints("bot").last)
        let line = try XCTUnwrap(forged["seq"] as? Int) + 1

        // The one-key rule names it without any key given ...
        try h.assertVerifyRefusesCheckpoint("bot", [], at: line, because: "unlike the earlier card checkpoints")
        // ... and the untouched manifest's key names it as not the owner's.
        try untouched.write(to: manifestURL)
        try h.assertVerifyRefusesCheckpoint("bot", ["--manifest"], at: line, because: ", not the owner's ")
    }

    func testAPINOwnersTPMSignsWithTheUnlocksPINAndWithoutOneTheCheckpointIsSkippedWithANote() throws {
        try h.ok(["init", "--for", "bot", "--via", "tpm", "--pin-policy", "once", "--pin-stdin"], stdin: "2468\n")
        let set = try h.terminal(["set", "--for", "bot", "--org", "acme", "--env", "test", "--key", "K", "--vault", "os.secure"],
                                 answers: [("value for", "v-" + UUID().uuidString), ("Enter the TPM PIN", "2468")])
        XCTAssertEqual(set.status, 0, set.transcript)
        let backup = h.machine.dir.file("backup.txt")
        let backupPub = try ageKeyPair(at: backup)
        try h.ok(["recipient", "add", "--for", "bot", "--pubkey", backupPub, "--label", "paper", "--pin-stdin"], stdin: "2468\n")
        // One PIN read answers both: the new key's authValue and the manifest's TPM key.
        try h.ok(["audit", "anchor", "--for", "bot", "--pin-stdin"], stdin: "2468\n")

        let signed = try h.ok(["unlock", "--for", "bot", "--env", "test", "--pin-stdin"], stdin: "2468\n")
        XCTAssertTrue(signed.err.contains("note: the TPM signed the access log's head (record "), signed.err)
        try h.ok(["relock", "--for", "bot"])

        // Opened by the backup key, with no PIN at hand: the unlock goes on, the checkpoint waits.
        let skipped = try h.ok(["unlock", "--for", "bot", "--env", "test", "--identity", backup.path])
        XCTAssertTrue(skipped.err.contains("note: no card checkpoint in the access log this time: the TPM signing key needs the owner's TPM PIN and none is at hand "
                                           + "(--pin-file, --pin-stdin or a terminal): the next unlock with the PIN signs\n"), skipped.err)
        XCTAssertEqual(try h.checkpoints("bot").count, 1)
        let verified = try h.ok(["audit", "verify", "--for", "bot", "--manifest"], env: ["KEYRACK_IDENTITY": backup.path])
        XCTAssertTrue(verified.out.hasSuffix("; 1 card checkpoint(s) by the owner's card\n"), verified.out)
    }
}
