import Foundation
import KeyrackApp
import TestSupport
import XCTest

/// `get --unlock`'s child: which env it unlocks, the argv it runs (no value, no PIN in it) and
/// the status it hands back.
final class UnlockOneKeyTests: XCTestCase {
    func testTheEnvIsTheGivenOneElseTheSlugsOwn() {
        XCTAssertEqual(UnlockOneKey.env(given: "prod", key: "API"), "prod")
        XCTAssertEqual(UnlockOneKey.env(given: nil, key: "acme.test.API"), "test")
        XCTAssertEqual(UnlockOneKey.env(given: "prod", key: "acme.test.API"), "prod")
        XCTAssertNil(UnlockOneKey.env(given: nil, key: "API"))
    }

    func testRunsUnlockForTheOneKeyAndReturnsItsStatus() throws {
        let dir = try TempDirectory("keyrack-unlock-one")
        defer { dir.remove() }
        let argv = dir.file("argv"), script = dir.file("fake-keyrack")
        try Data("#!/bin/sh\nprintf '%s\\n' \"$@\" > '\(argv.path)'\nexit 7\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script.path)
        XCTAssertEqual(try UnlockOneKey.run(owner: "bot", env: "test", key: "API", executable: script.path), 7)
        XCTAssertEqual(try String(contentsOf: argv, encoding: .utf8), "unlock\n--for\nbot\n--env\ntest\n--key\nAPI\n")
    }
}
