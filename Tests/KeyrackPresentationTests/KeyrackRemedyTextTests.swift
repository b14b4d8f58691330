import KeyrackClient
import KeyrackCore
import KeyrackPresentation
import XCTest

/// KeyrackCore's remedies in keyrack's own commands: each line names, in backquotes, the command
/// it marks as the fix, and that command is what `--json` reports as `fix` (ErrorReport).
final class KeyrackRemedyTextTests: XCTestCase {
    /// Every remedy with the command it must mark (nil: it names only options, no command).
    let cases: [(KeyrackError.Remedy, fix: String?)] = [
        (.initialise(owner: "human"), "keyrack init"),
        (.initialise(owner: "ci"), "keyrack init --for ci"),
        (.migrate(owner: "ci", orStartEmpty: false), "keyrack migrate --for ci"),
        (.migrate(owner: "human", orStartEmpty: true), "keyrack migrate"),
        (.giveIdentityOrAddRecipient(environment: true), "keyrack recipient add"),
        (.giveIdentityOrAddRecipient(environment: false), "keyrack recipient add"),
        (.giveIdentity, nil),
        (.addAnotherRecipient(owner: "ci"), "keyrack recipient add --for ci"),
        (.restoreRecipients(owner: "human"), "keyrack recipient add --for human"),
        (.restoreOrReinitialise(owner: "ci"), "keyrack init --for ci"),
        (.nameTheOrg, nil),
    ]

    func testEveryRemedyMarksTheCommandItsLineNames() {
        for (remedy, fix) in cases {
            let line = remedy.cliLine
            XCTAssertEqual(line.fix, fix, "\(remedy)")
            if let fix { XCTAssertTrue(line.text.contains("`\(fix)`"), "\(remedy): \(line.text)") }
        }
    }

    func testRemediesNameTheirOptions() {
        XCTAssertEqual(KeyrackError.Remedy.giveIdentity.cliLine.text, "pass --identity PATH with the matching private key or identity file")
        XCTAssertEqual(KeyrackError.Remedy.nameTheOrg.cliLine.text, "add `org: <your-org>` or pass --org")
        XCTAssertEqual(KeyrackError.Remedy.giveIdentityOrAddRecipient(environment: true).cliLine.text,
                       "pass --identity PATH (or set KEYRACK_IDENTITY=PATH or KEYRACK_IDENTITY_FD=N), or add a recipient whose key is here with `keyrack recipient add`")
        XCTAssertEqual(KeyrackError.Remedy.migrate(owner: "human", orStartEmpty: true).cliLine.text,
                       "run `keyrack migrate` to carry its keys over (to start empty instead, move that file away first)")
    }

    /// The error: problem, then the remedy in commands, one line; exit code and `--json` fields
    /// from the same value.
    func testAnErrorWithARemedyReadsProblemThenRemedy() {
        let error = KeyrackError(.usage, problem: "owner ci is not initialised (no /h/host.ci.yml.age)", remedy: .initialise(owner: "ci"))
        XCTAssertEqual(error.cliMessage, "error: owner ci is not initialised (no /h/host.ci.yml.age): run `keyrack init --for ci` (your ssh key; or --via yubikey|age) first")
        XCTAssertEqual(error.fixCommand, "keyrack init --for ci")
        XCTAssertEqual(error.exitCode, ExitStatus.usage)
        XCTAssertEqual(error.errorCode, "usage")
        let report = ErrorReport(error)
        XCTAssertEqual(report.fix, "keyrack init --for ci")
        XCTAssertEqual(report.exit, ExitStatus.usage)
    }

    func testKindsMapToTheDocumentedExitCodes() {
        XCTAssertEqual(KeyrackError(.card, "no card").exitCode, ExitStatus.card)
        XCTAssertEqual(KeyrackError(.wrongIdentity, "x").errorCode, "wrong-identity")
        XCTAssertEqual(KeyrackError(.damaged, "x").errorCode, "damaged")
        XCTAssertEqual(KeyrackError(.failure, "x").exitCode, ExitStatus.failure)
        XCTAssertNil(KeyrackError(.failure, "plain").fixCommand)
        XCTAssertEqual(KeyrackError(.failure, "plain").cliMessage, "error: plain")
    }
}
