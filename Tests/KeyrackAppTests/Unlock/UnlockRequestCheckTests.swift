import KeyrackApp
import XCTest

/// `unlock`'s words checked before anything is opened: each problem typed (the CLI words it with
/// its flags), the first one found, none for the usable combinations.
final class UnlockRequestCheckTests: XCTestCase {
    private func check(env: String? = nil, key: String? = nil, duration: String? = nil, agent: Bool = false) -> UnlockRequest.Problem? {
        UnlockRequest.check(env: env, key: key, duration: duration, identityAgent: agent)
    }

    func testUsableCombinations() {
        XCTAssertNil(check(env: "test"))
        XCTAssertNil(check(env: "sudo", key: "GITHUB_TOKEN", duration: "30m"))
        XCTAssertNil(check(agent: true))
        XCTAssertNil(check(duration: "9h", agent: true), "the agent may live an owner's longest grant")
        XCTAssertNil(check(env: "prod", duration: "24h"), "keys are capped later, per key")
    }

    func testEachProblemIsTyped() {
        XCTAssertEqual(check(), .nothingToUnlock)
        XCTAssertEqual(check(key: "K", agent: true), .keyWithoutEnv)
        XCTAssertEqual(check(env: "Not An Env"), .invalidEnv("Not An Env"))
        XCTAssertEqual(check(env: "sudo"), .sudoNeedsKey)
        XCTAssertEqual(check(env: "prod", duration: "9h1m", agent: true), .agentOutlivesCap(duration: "9h1m", capSeconds: 9 * 3600))
        guard case .badDuration(let why)? = check(env: "test", duration: "soon") else { return XCTFail("a duration that does not parse") }
        XCTAssertTrue(why.contains("soon"), why)
    }

    func testTheAgentCapComesFirstAndABadDurationLast() {
        XCTAssertEqual(check(duration: "10h", agent: true), .agentOutlivesCap(duration: "10h", capSeconds: 9 * 3600))
        XCTAssertEqual(check(env: "sudo", duration: "soon"), .sudoNeedsKey)
        XCTAssertEqual(check(duration: "soon"), .nothingToUnlock)
        guard case .badDuration? = check(duration: "soon", agent: true) else { return XCTFail("the agent alone with a bad duration") }
    }
}
