@testable import KeyrackApp
import KeyrackCore
import XCTest

/// change-pin, change-puk and unblock-pin in-process: which secret each asks first (by kind,
/// with the card's serial), which it asks new, and which card call gets them.
final class CardReferenceChangeTests: XCTestCase {
    private final class Card: ReferenceCard {
        let serial: UInt32 = 7
        var calls: [String] = []
        var failure: Error?
        func changeReference(puk: Bool, old: [UInt8], new: [UInt8]) throws {
            calls.append("change \(puk ? "PUK" : "PIN") \(String(decoding: old, as: UTF8.self))→\(String(decoding: new, as: UTF8.self))")
            if let failure { throw failure }
        }
        func unblockPIN(puk: [UInt8], newPIN: [UInt8]) throws {
            calls.append("unblock \(String(decoding: puk, as: UTF8.self))→\(String(decoding: newPIN, as: UTF8.self))")
        }
    }

    private struct Secrets: CardSecretSource {
        var asked: [String] = []
        mutating func read(_ request: SecretRequest, what: String) throws -> [UInt8] {
            asked.append("\(request) \(what)")
            return Array("old".utf8)
        }
        mutating func readNew(puk: Bool) throws -> [UInt8] {
            asked.append(puk ? "new PUK" : "new PIN")
            return Array("new".utf8)
        }
    }

    func testEachChangeAsksTheCheckedSecretByKindThenTheNewOneAndCallsTheCardOnce() throws {
        let expected: [(CardReferenceChange, [String], String)] = [
            (.changePIN, [#"pin(prompt: "Current PIN of YubiKey 7: ") current PIN"#, "new PIN"], "change PIN old→new"),
            (.changePUK, [#"puk(prompt: "Current PUK of YubiKey 7: ") current PUK"#, "new PUK"], "change PUK old→new"),
            (.unblockPIN, [#"puk(prompt: "PUK of YubiKey 7: ") PUK"#, "new PIN"], "unblock old→new"),
        ]
        for (change, asked, call) in expected {
            let card = Card()
            var secrets = Secrets()
            try change.apply(to: card, secrets: &secrets)
            XCTAssertEqual(secrets.asked, asked, "\(change)")
            XCTAssertEqual(card.calls, [call], "\(change)")
        }
    }

    func testACardRefusalComesOutAsTheCardSaidIt() {
        let card = Card()
        card.failure = KeyrackError(.card, "wrong PIN")
        var secrets = Secrets()
        XCTAssertThrowsError(try CardReferenceChange.changePIN.apply(to: card, secrets: &secrets)) {
            XCTAssertEqual(($0 as? KeyrackError)?.kind, .card)
        }
    }
}
