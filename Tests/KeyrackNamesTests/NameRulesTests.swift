import KeyrackNames
import XCTest

/// The byte-level name rules every module shares (the core's typed names are tested in
/// KeyrackCoreTests/NamesTests).
final class NameRulesTests: XCTestCase {
    func testEnvNamesAreCappedAt63Bytes() {
        for ok in ["sudo", "prod", "all", "a", "team-1_x", String(repeating: "a", count: 63)] {
            XCTAssertTrue(NameRules.isValidEnv(ok), ok)
        }
        for bad in ["", "Prod", "1prod", "-x", "pr.od", "pr/od", "prød", String(repeating: "a", count: 64)] {
            XCTAssertFalse(NameRules.isValidEnv(bad), bad)
        }
    }

    func testOwnerAndOrgRules() {
        XCTAssertTrue(NameRules.isValidOwner("agent-1"))
        XCTAssertFalse(NameRules.isValidOwner("agent_1"))
        XCTAssertFalse(NameRules.isValidOwner("../x"))
        XCTAssertFalse(NameRules.isValidOwner(String(repeating: "a", count: 64)))
        XCTAssertTrue(NameRules.isValidOrg("@all"))
        XCTAssertTrue(NameRules.isValidOrg("0rg_x-y"))
        XCTAssertFalse(NameRules.isValidOrg("org.x"))
        XCTAssertFalse(NameRules.isValidOrg("@other"))
    }

    /// The rules' messages name no option of keyrack's CLI: they are read at parse time by the
    /// CLI, the front end, the plugin and the manifest decoder alike (a manifest has no flags).
    func testRefusalsNameNoCommandLineOption() {
        for message in [NameRules.invalidOwnerMessage("Bad"), NameRules.invalidOrgMessage("Bad!"), Destination.message("https://x")] {
            XCTAssertFalse(message.contains("--"), message)
        }
        XCTAssertEqual(Destination.message("https://x").prefix(31), "invalid destination 'https://x'")
    }
}
