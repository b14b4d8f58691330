import AgeFormat
import PIV
import XCTest
@testable import KeyrackCore

/// The one rule by which every command opens a manifest (ManifestIdentities): candidates in
/// order, one at a time, made only when tried; an absent card or a wrong identity moves on; a card
/// that is here and refuses stops; the first error is the one reported.
final class ManifestIdentitiesTests: XCTestCase {
    private struct Refused: Error, Equatable { let who: String }

    /// Candidates whose attempt succeeds or throws as `outcomes` says, recording what was made.
    private func candidates(_ outcomes: [(String, Error?)], made: @escaping (String) -> Void) -> ManifestIdentities {
        ManifestIdentities(candidates: outcomes.enumerated().map { index, outcome in
            ManifestIdentities.Candidate(name: outcome.0, isBackup: index > 0, make: {
                made(outcome.0)
                if let error = outcome.1 { throw error }
                return X25519Identity.generate()
            })
        })
    }

    func testPrimaryFirstAndBackupsNeverMadeWhenItWorks() throws {
        var made: [String] = []
        let ids = candidates([("primary", nil), ("paper", nil)]) { made.append($0) }
        let (_, used) = try ids.first { _ in "opened" }
        XCTAssertEqual(used.name, "primary")
        XCTAssertFalse(used.isBackup)
        XCTAssertEqual(made, ["primary"])
    }

    func testAbsentCardAndWrongIdentityMoveOnToTheBackup() throws {
        var made: [String] = []
        let absent = KeyrackError(.card, "no card", cardFailure: .noCard)
        let wrong = KeyrackError(.wrongIdentity, "not this one")
        let ids = candidates([("primary", absent), ("laptop", wrong), ("paper", nil)]) { made.append($0) }
        let (_, used) = try ids.first { _ in () }
        XCTAssertEqual(used.name, "paper")
        XCTAssertTrue(used.isBackup)
        XCTAssertEqual(made, ["primary", "laptop", "paper"])
    }

    func testACardThatRefusesStopsBeforeAnyBackup() {
        var made: [String] = []
        let refusing = KeyrackError(.card, "wrong PIN", cardFailure: .wrongPIN(triesLeft: 2))
        let ids = candidates([("primary", refusing), ("paper", nil)]) { made.append($0) }
        XCTAssertThrowsError(try ids.first { _ in () }) { error in
            XCTAssertEqual((error as? KeyrackError)?.cardFailure, .wrongPIN(triesLeft: 2))
        }
        XCTAssertEqual(made, ["primary"])
    }

    func testTheFirstErrorIsReportedWhenNoneOpens() {
        let ids = candidates([("primary", Refused(who: "primary")), ("paper", Refused(who: "paper"))]) { _ in }
        XCTAssertThrowsError(try ids.first { _ in () }) { error in
            XCTAssertEqual(error as? Refused, Refused(who: "primary"))
        }
    }

    func testAFailedAttemptMovesOnAndAMadeIdentityIsKept() throws {
        var made: [String] = []
        let ids = candidates([("primary", nil), ("paper", nil)]) { made.append($0) }
        var attempts = 0
        let (_, used) = try ids.first { _ -> Int in
            attempts += 1
            if attempts == 1 { throw KeyrackError(.wrongIdentity, "no stanza for the primary") }
            return attempts
        }
        XCTAssertEqual(used.name, "paper")
        _ = try ids.first { _ in () }
        _ = try ids.first { _ in () }
        XCTAssertEqual(made, ["primary", "paper"], "each candidate is made once, however often it is tried")
    }

    func testGivenIdentitiesAreOneCandidate() throws {
        let a = X25519Identity.generate(), b = X25519Identity.generate()
        let ids = ManifestIdentities(given: [a, b], name: "from a.txt")
        XCTAssertEqual(ids.candidates.map(\.name), ["from a.txt"])
        let file = try Age.encrypt(Array("m".utf8), to: [b.recipient], armor: false)
        let (plain, _) = try ids.first { try Age.decrypt(file, with: [$0]) }
        XCTAssertEqual(plain, Array("m".utf8))
    }
}
