import KeyrackCore
import XCTest

/// The library errors carry the problem and the remedy apart, and name no command or option of
/// keyrack's CLI: the CLI words those (Sources/KeyrackPresentation/KeyrackRemedy+Text.swift: in-process by
/// KeyrackPresentationTests' KeyrackRemedyTextTests, end to end by JSONOutputTests).
final class KeyrackErrorTests: XCTestCase {
    private let remedies: [KeyrackError.Remedy] = [
        .initialise(owner: "bot"), .migrate(owner: "bot", orStartEmpty: true), .migrate(owner: "bot", orStartEmpty: false),
        .giveIdentityOrAddRecipient(environment: true), .giveIdentityOrAddRecipient(environment: false), .giveIdentity,
        .addAnotherRecipient(owner: "bot"), .restoreRecipients(owner: "bot"), .restoreOrReinitialise(owner: "bot"), .nameTheOrg,
    ]

    func testEveryRemedyIsWordedWithoutTheCLIsCommands() {
        for remedy in remedies {
            let e = KeyrackError(.usage, problem: "owner bot is not initialised", remedy: remedy)
            XCTAssertFalse(remedy.words.isEmpty)
            XCTAssertEqual(e.message, "owner bot is not initialised: \(remedy.words)", "problem, then remedy")
            XCTAssertEqual(e.description, e.message)
            XCTAssertEqual(e.problem, "owner bot is not initialised")
            XCTAssertFalse(e.message.contains("keyrack "), e.message)
            XCTAssertFalse(e.message.contains("--"), e.message)
        }
        // An error without a remedy is its problem, which then says what to do in plain words.
        let plain = KeyrackError(.failure, "the lock file is a symbolic link: remove it and retry")
        XCTAssertNil(plain.remedy)
        XCTAssertEqual(plain.message, plain.problem)
    }
}
