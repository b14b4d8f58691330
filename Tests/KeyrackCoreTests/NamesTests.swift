import XCTest
@testable import KeyrackCore
import KeyrackNames

/// The naming rules: what gets in, and that what is refused is a usage error naming the input.
final class NamesTests: XCTestCase {
    private func usage(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch let e as KeyrackError {
            XCTAssertEqual(e.kind, .usage)
            return e.message
        } catch { return "\(error)" }
    }

    func testOwnerNames() throws {
        for ok in ["human", "seaturtle", "agent-1", "a", String(repeating: "a", count: 63)] { XCTAssertNoThrow(try OwnerName(ok), ok) }
        for bad in ["", "A", "../x", "a/b", "1abc", "-a", "a.b", "a_b", "ａ", String(repeating: "a", count: 64), "human\n", "huma\u{0}n"] {
            XCTAssertTrue(usage { try OwnerName(bad) }?.hasPrefix("invalid owner name") ?? false, bad)
        }
    }

    func testEnvKeyOrgSlug() throws {
        for ok in ["sudo", "prod", "prep", "test", "all", "camp", "stage_2", "qa-eu"] { XCTAssertNoThrow(try EnvName(ok)) }
        for bad in ["", "Prod", "pr.od", "1x", "-x", "a b"] { XCTAssertTrue(usage { try EnvName(bad) }?.hasPrefix("invalid env") ?? false, bad) }
        for ok in ["GITHUB_TOKEN", "aws.profile", "_X", "A-B"] { XCTAssertNoThrow(try KeyName(ok)) }
        for bad in ["", "A B", ".A", "A.", "A..B", "1A", "A/B", "A$"] { XCTAssertTrue(usage { try KeyName(bad) }?.hasPrefix("invalid key name") ?? false, bad) }
        for ok in ["@all", "ehmpathy", "0x-labs"] { XCTAssertNoThrow(try OrgName(ok)) }
        for bad in ["", "@any", "Ehmpathy", "a.b", "a/b"] { XCTAssertTrue(usage { try OrgName(bad) }?.hasPrefix("invalid org") ?? false, bad) }
        let slug = try Slug(validating: "ehmpathy.sudo.aws.profile.name")
        XCTAssertEqual(slug.org, "ehmpathy")
        XCTAssertEqual(slug.env, "sudo")
        XCTAssertEqual(slug.key, "aws.profile.name")
        XCTAssertTrue(usage { try Slug(validating: "ehmpathy.sudo") }?.hasPrefix("invalid slug") ?? false)
    }

    func testDurations() throws {
        XCTAssertEqual(try Duration("30m").seconds, 1800)
        XCTAssertEqual(try Duration("9h").seconds, 32400)
        XCTAssertEqual(try Duration("90s").seconds, 90)
        XCTAssertEqual(try Duration("720h").seconds, 720 * 3600)
        XCTAssertEqual(try Duration("1h30m").seconds, 5400)
        XCTAssertEqual(try Duration("1d").seconds, 86400)
        XCTAssertEqual(try Duration("30d").seconds, 720 * 3600)
        for bad in ["", "30", "m", "0m", "030m", "30x", "1.5h", "-5m", "721h", "31d", "30M", "30m1h", "99999999h"] {
            XCTAssertTrue(usage { try Duration(bad) }?.hasPrefix("invalid duration") ?? false, bad)
        }
    }

    func testVaultsMechsLabels() throws {
        XCTAssertEqual(try Vault(parsing: "1password"), .onePassword)
        XCTAssertTrue(usage { try Vault(parsing: "os.bogus") }?.contains("os.secure, os.direct, os.envvar, os.daemon, 1password") ?? false)
        XCTAssertEqual(Vault.onePassword.defaultMechanism, .permanentViaReference)
        XCTAssertTrue(usage { try Mechanism(parsing: "magic") }?.hasPrefix("invalid mech") ?? false)
        XCTAssertTrue(usage { try RecipientLabel("Paper Backup") }?.hasPrefix("invalid label") ?? false)
    }

    func testSetRequestCombinations() throws {
        let slug = try Slug(validating: "@all.sudo.T")
        XCTAssertTrue(usage { try KeySetRequest(slug: slug, vault: .onePassword, exid: nil, mech: nil, maxDuration: nil, value: nil) }?.contains("vault 1password needs an external id") ?? false)
        XCTAssertTrue(usage { try KeySetRequest(slug: slug, vault: .onePassword, exid: "item", mech: nil, maxDuration: nil, value: nil) }?.contains("op://VAULT/ITEM/FIELD") ?? false)
        XCTAssertTrue(usage { try KeySetRequest(slug: slug, vault: .osEnvvar, exid: "op://a/b/c", mech: nil, maxDuration: nil, value: nil) }?.contains("only 1password, openbao, aws.params and aws.config do") ?? false)
        XCTAssertTrue(usage { try KeySetRequest(slug: slug, vault: .osSecure, exid: nil, mech: nil, maxDuration: nil, value: []) }?.contains("empty value") ?? false)
        XCTAssertEqual(try KeySetRequest(slug: slug, vault: .osDaemon, exid: nil, mech: nil, maxDuration: nil, value: nil).mech, .ephemeralViaSession)
    }
}
