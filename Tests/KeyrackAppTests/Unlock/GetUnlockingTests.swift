import KeyrackApp
import KeyrackClient
import XCTest

/// `get --unlock` in-process: a locked key is unlocked once (this owner, env and key) and got
/// again; a failed unlock ends with its status; any other refusal is `get`'s own, no unlock.
final class GetUnlockingTests: XCTestCase {
    private var unlocks: [String] = []
    private var gets = 0

    private func run(getThrows: [Error?], unlockStatus: Int32 = 0) throws -> Int32? {
        var answers = getThrows
        return try UnlockOneKey.getUnlocking(owner: "robo", env: "prod", key: "DB", unlock: { self.unlocks.append("\($0) \($1) \($2)"); return unlockStatus }) {
            self.gets += 1
            if let error = answers.removeFirst() { throw error }
        }
    }

    private let locked = NotGranted(message: "locked", code: "locked", fix: nil)

    func testALockedKeyIsUnlockedOnceThenGotAgain() throws {
        XCTAssertNil(try run(getThrows: [locked, nil]))
        XCTAssertEqual(unlocks, ["robo prod DB"])
        XCTAssertEqual(gets, 2)
    }

    func testAGrantedKeyAsksNoUnlock() throws {
        XCTAssertNil(try run(getThrows: [nil]))
        XCTAssertEqual(unlocks, [])
        XCTAssertEqual(gets, 1)
    }

    func testAFailedUnlockEndsWithItsStatusAndNoSecondGet() throws {
        XCTAssertEqual(try run(getThrows: [locked, nil], unlockStatus: 5), 5)
        XCTAssertEqual(gets, 1)
    }

    func testAnAbsentKeyIsGetsOwnRefusalWithNoUnlock() {
        XCTAssertThrowsError(try run(getThrows: [NotGranted(message: "absent", code: "absent", fix: nil)])) {
            XCTAssertEqual(($0 as? NotGranted)?.errorCode, "absent")
        }
        XCTAssertEqual(unlocks, [], "only a locked key is unlocked")
    }
}
