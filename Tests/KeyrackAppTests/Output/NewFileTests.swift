import Foundation
import KeyrackApp
import KeyrackClient
import TestSupport
import XCTest

/// `yubikey setup -o`'s file: created 0600, never over an existing file or through a link.
final class NewFileTests: XCTestCase {
    private var dir: TempDirectory!

    override func setUpWithError() throws { dir = try TempDirectory("keyrack-newfile") }
    override func tearDown() { dir.remove() }

    func testCreatesTheFileWithMode0600() throws {
        let path = dir.file("id.txt").path
        try NewFile.create(path, "AGE-PLUGIN-YUBIKEY-1XYZ\n")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "AGE-PLUGIN-YUBIKEY-1XYZ\n")
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).map { $0 & 0o777 }, 0o600)
    }

    func testNeverWritesOverAFileNorThroughALink() throws {
        let existing = dir.file("existing.txt")
        try Data("keep".utf8).write(to: existing)
        XCTAssertThrowsError(try NewFile.create(existing.path, "new")) { error in
            XCTAssertTrue((error as? CommandFailure)?.message.hasPrefix("cannot create '\(existing.path)': File exists; choose another -o path") == true, "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: existing, encoding: .utf8), "keep")
        let link = dir.file("link.txt")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: dir.file("target.txt"))
        XCTAssertThrowsError(try NewFile.create(link.path, "new"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("target.txt").path), "nothing written through the link")
    }
}
