@testable import KeyrackApp
import KeyrackClient
import KeyrackNames
import KeyrackPresentation
import XCTest

/// The commands' answers as text, from the typed results of the app layer.
final class ResultLinesTests: XCTestCase {
    /// `status` of a locked owner says how to unlock it, with the owner's flag.
    func testALockedOwnerSaysHowToUnlock() {
        let none = OwnerStatus.Result(daemon: nil, orphanedPID: nil, grants: [], agent: nil, proxies: [])
        XCTAssertEqual(none.lines(owner: "ci"), ["owner 'ci': locked (no daemon running); unlock with `keyrack unlock --for ci --env ENV`"])
        XCTAssertEqual(none.lines(owner: "human"), ["owner 'human': locked (no daemon running); unlock with `keyrack unlock --env ENV`"])
        let orphan = OwnerStatus.Result(daemon: nil, orphanedPID: 4242, grants: [], agent: nil, proxies: [])
        XCTAssertEqual(orphan.lines(owner: "ci"),
                       ["owner 'ci': locked; its daemon (pid 4242) runs but lost its socket, so it serves no one: stop it with `keyrack daemon stop --for ci`"])
    }

    /// `daemon status` fails as every command does: exit 3 "locked" without a daemon, exit 1 with
    /// the command that stops an orphan (what `--json` reports as `fix`).
    func testDaemonStatusFailures() throws {
        let none = try XCTUnwrap(OwnerStatus.Daemon.none.failure(owner: "ci", socket: "/run/k/ci.sock"))
        XCTAssertEqual(none.cliMessage, "error: no daemon is running for 'ci' (socket /run/k/ci.sock)")
        XCTAssertEqual(none.exitCode, ExitStatus.notGranted)
        XCTAssertEqual(none.errorCode, "locked")
        let orphan = try XCTUnwrap(OwnerStatus.Daemon.orphaned(pid: 7).failure(owner: "ci", socket: "/s"))
        XCTAssertEqual(orphan.fixCommand, "keyrack daemon stop --for ci")
        XCTAssertEqual(orphan.exitCode, ExitStatus.failure)
    }

    func testStopAndRelockSayWhatTheyDid() {
        XCTAssertEqual(DaemonStop.Outcome.notRunning.line(owner: "ci"), "no daemon is running for 'ci'")
        XCTAssertEqual(DaemonStop.Outcome.stoppedOrphan(pid: 9).line(owner: "ci"),
                       "stopped the daemon of 'ci' (pid 9, found through its pid file: its socket had been removed)")
        let slug = Slug(org: "acme", env: "test", key: "A")!
        XCTAssertEqual(Relock.Result(relocked: [slug], identityAgent: true, stoppedOrphan: nil).lines(owner: "ci"),
                       ["relocked acme.test.A", "relocked the identity agent of 'ci'"])
        XCTAssertEqual(Relock.Result(relocked: [], identityAgent: false, stoppedOrphan: nil).lines(owner: "ci"), ["nothing to relock for 'ci'"])
        XCTAssertNil(Relock.Result(relocked: [], identityAgent: false, stoppedOrphan: nil).orphanNote(owner: "ci"))
        XCTAssertEqual(Relock.Result(relocked: [], identityAgent: false, stoppedOrphan: 5).orphanNote(owner: "ci"),
                       "the daemon of 'ci' (pid 5) had lost its socket: stopped it, which relocked every key it held")
    }

    /// `doctor`: a mark per check, the fix under a failed or warned one only, then the verdict.
    func testDoctorReport() {
        let checks = [DoctorCheck(name: "pcscd", status: .pass, detail: "running", fix: .outside("never shown")),
                      DoctorCheck(name: "card", status: .fail, detail: "none plugged in", fix: .changeFactory(.pin, serial: 7)),
                      DoctorCheck(name: "op", status: .skip, detail: "no 1password key")]
        XCTAssertEqual(DoctorChecks.lines(owner: "human", checks: checks), [
            "keyrack doctor for 'human':",
            "  [ok  ] pcscd: running",
            "  [FAIL] card: none plugged in",
            "         fix: keyrack yubikey change-pin --serial 7",
            "  [skip] op: no 1password key",
            "1 check(s) failed",
        ])
        XCTAssertEqual(DoctorChecks.lines(owner: "ci", checks: [checks[0]]).last, "all checks passed")
    }

    func testFillAndFirewallLines() {
        XCTAssertEqual(FillOwners.Outcome.filled(["human", "ci"]).line(slug: "acme.test.A"), "acme.test.A: set for human, ci and read back")
        XCTAssertEqual(FillOwners.Outcome.found.line(slug: "acme.test.A"), "acme.test.A: every owner has it")
        XCTAssertEqual(FillOwners.Failure.noRepositoryFile.cliLine.fix, "keyrack init --org ORG")
        XCTAssertEqual(FillOwners.Failure.roundTrip(slug: "acme.test.A", owner: "ci").cliLine.fix, "keyrack list")
        XCTAssertNil(FillOwners.Failure.notListed(key: "A", env: "test", path: "/r/.agent/keyrack.yml").cliLine.fix)
        XCTAssertEqual(SecretsFirewall.Failure.badSource("xx").cliLine.text,
                       "unsupported --from 'xx': use --from 'json(env://VAR)' or --from 'json(stdin://*)'")
        XCTAssertEqual(SecretsFirewall.Failure.noRepositoryFile.cliLine.fix, "keyrack init --org ORG")
    }

    /// The other commands' refusals name their own options.
    func testRefusalsNameTheirOptions() {
        XCTAssertEqual(OpenBaoDefaultsRequest.Problem.nothingToSet.cliText, "nothing to set: give at least one --openbao-… option (or --clear-openbao)")
        XCTAssertEqual(OpenBaoDefaultsRequest.Problem.invalidSlot("zz").cliText, "invalid --openbao-slot 'zz': use 9a, 9c, 9d, 9e or a retired slot 82–95")
        XCTAssertEqual(AuditAnchorError.slotForTPM.cliText, "--slot names a YubiKey slot: give it without --via tpm")
        XCTAssertTrue(AuditAnchorError.unknownSigner("nope").cliText.hasPrefix("invalid --via 'nope': "))
        XCTAssertEqual(GitHubAppKeyInput.Problem.onlyForAManifestAppKey(given: [.appID, .privateKey]).cliText,
                       "--app-id, --private-key are only used with --vault os.secure --mech EPHEMERAL_VIA_GITHUB_APP (a 1password key keeps them in the item)")
        XCTAssertEqual(MigrationError.Remedy.giveTheOwnersKey.cliText, "pass the owner's private key with --identity PATH")
        XCTAssertTrue(AuditVerifyError.notACardKey(path: "/k.pem").cliMessage.contains("--card-key /k.pem"))
        XCTAssertEqual(CardReferenceChange.unblockPIN.doneLine, "PIN unblocked and changed")
        let key = AgeKeygen.generate(postQuantum: false)
        XCTAssertEqual(key.publicKeyLine, "Public key: \(key.publicKey)")
        XCTAssertTrue(key.publicKeyLine.hasPrefix("Public key: age1"))
    }
}
