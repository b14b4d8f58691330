import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackPresentation
import XCTest

/// `init`'s problems in its options: which flag belongs to which --via, one sentence.
final class InitWordsTests: XCTestCase {
    func testEveryChoiceIsTheOptionThatGivesIt() {
        let expected: [InitRequest.Choice: String] = [
            .postQuantum: "--pq", .identity: "--identity", .serial: "--serial", .slot: "--slot", .touchPolicy: "--touch-policy",
            .recipientType: "--recipient-type", .algorithm: "--algorithm", .pinPolicy: "--pin-policy", .pinFromStdin: "--pin-stdin",
        ]
        for choice in InitRequest.Choice.allCases { XCTAssertEqual(choice.flag, expected[choice], "\(choice)") }
    }

    func testOnlyForNamesTheFlagsAndTheirVias() {
        XCTAssertEqual(InitRequest.Problem.onlyFor([.postQuantum], vias: [.age]).line.text, "--pq only applies to --via age")
        XCTAssertEqual(InitRequest.Problem.onlyFor([.serial, .slot, .touchPolicy], vias: [.yubikey]).line.text,
                       "--serial, --slot and --touch-policy only apply to --via yubikey")
        XCTAssertEqual(InitRequest.Problem.onlyFor([.pinPolicy], vias: [.yubikey, .tpm]).line.text, "--pin-policy only applies to --via yubikey and --via tpm")
    }

    func testProblemsAreUsageErrors() {
        let problem = InitRequest.Problem.recipientAndIdentity
        XCTAssertEqual(problem.cliMessage, "error: give --pubkey or --identity, not both")
        XCTAssertEqual(problem.exitCode, ExitStatus.usage)
        XCTAssertEqual(ErrorReport(problem).code, "usage")
        XCTAssertEqual(InitRequest.Problem.unknownUser("nobody2").line.text, "unknown user 'nobody2' for --uid: give an existing user name or a numeric uid")
    }

    /// No ssh key: the line offers every way in, and names the plugged card when there is one.
    func testNoUsableSSHKeyOffersEveryWayIn() {
        let text = InitRequest.Problem.noUsableSSHKey(directory: "/h/.ssh", lookedFor: ["id_ed25519", "id_rsa"], pluggedYubiKey: 123).line.text
        XCTAssertEqual(text, "no usable ssh key in /h/.ssh (looked for id_ed25519, id_rsa): make one with `ssh-keygen -t ed25519`, pass --pubkey, or run `keyrack init --via yubikey` (a YubiKey, serial 123, is plugged in) or `keyrack init --via age`")
    }

    func testNotesSayWhatInitChose() {
        XCTAssertEqual(InitNote.usingSSHKey(path: "/h/.ssh/id_ed25519.pub", viaGiven: false).line,
                       "keyrack init: using the ssh key /h/.ssh/id_ed25519.pub (no --via given, so --via ssh)")
        XCTAssertEqual(InitNote.usingSSHKey(path: "/k.pub", viaGiven: true).line, "keyrack init: using the ssh key /k.pub")
    }
}
