import AgeFormat
import Foundation
import TestSupport
import XCTest

/// AgeOutput, the output file's lifecycle both age binaries run (keyrack-cli through KeyrackApp,
/// the static keyrack-age): created at the first byte, kept only when the run succeeds, removed
/// (and reported) when it fails; stdout is never closed or removed.
final class AgeOutputTests: XCTestCase {
    private struct Boom: Error, Equatable {}

    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func testAFailedRunRemovesItsPartialFileAndReportsIt() throws {
        let dir = try TempDirectory("keyrack-age-output")
        defer { dir.remove() }
        let path = dir.file("plain").path
        var removed: [String] = []
        let output = AgeOutput(path: path, removed: { removed.append($0) })
        XCTAssertThrowsError(try output.run {
            try output.sink().write(Array("the first chunk, authenticated".utf8))
            XCTAssertTrue(self.exists(path), "the file exists once there is something to write")
            throw Boom()
        }) { XCTAssertEqual($0 as? Boom, Boom(), "the body's own error, unchanged") }
        XCTAssertFalse(exists(path), "no partial output is left behind")
        XCTAssertEqual(removed, [path])
    }

    func testARunThatFailsBeforeItsFirstByteLeavesAnExistingFileAlone() throws {
        let dir = try TempDirectory("keyrack-age-output")
        defer { dir.remove() }
        let existing = try dir.write("plain", Array("yesterday's".utf8))
        var removed: [String] = []
        let output = AgeOutput(path: existing.path, removed: { removed.append($0) })
        XCTAssertThrowsError(try output.run { throw Boom() })  // e.g. no identity matched the header
        XCTAssertEqual(try dir.read("plain"), Array("yesterday's".utf8), "neither truncated nor removed")
        XCTAssertEqual(removed, [])
    }

    func testASuccessfulRunKeepsTheFileWithItsMode() throws {
        let dir = try TempDirectory("keyrack-age-output")
        defer { dir.remove() }
        let path = dir.file("key.txt").path
        let output = AgeOutput(path: path, mode: 0o600)
        try output.run {
            try output.sink().write(Array("one ".utf8))
            try output.sink().write(Array("file".utf8))  // a second sink is the same open file
        }
        XCTAssertEqual(try dir.read("key.txt"), Array("one file".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func testStdoutIsNeverClosedOrRemoved() throws {
        for path in [nil, "-"] as [String?] {
            var removed: [String] = []
            let output = AgeOutput(path: path, removed: { removed.append($0) })
            XCTAssertNil(output.path, "\(path ?? "nil") is stdout")
            XCTAssertThrowsError(try output.run {
                XCTAssertEqual(try output.sink().fd, STDOUT_FILENO)
                throw Boom()
            })
            try output.run { XCTAssertEqual(try output.sink().fd, STDOUT_FILENO) }
            XCTAssertEqual(removed, [], "nothing to remove")
            XCTAssertNotEqual(fcntl(STDOUT_FILENO, F_GETFD), -1, "stdout is still open after a failed and a good run")
        }
        XCTAssertFalse(exists(FileManager.default.currentDirectoryPath + "/-"), "`-` is never a file name")
    }

    func testAnOutputThatCannotBeCreatedIsTheOutputsError() throws {
        let dir = try TempDirectory("keyrack-age-output")
        defer { dir.remove() }
        let path = dir.file("no-such-directory/plain").path
        var ran = false
        let output = AgeOutput(path: path)
        XCTAssertThrowsError(try output.run { ran = true; _ = try output.sink() }) {
            XCTAssertEqual($0 as? AgeOutputError, .cannotCreate(path: path, reason: String(cString: strerror(ENOENT))))
            XCTAssertEqual("\($0)", "cannot create output '\(path)': No such file or directory")
        }
        XCTAssertTrue(ran)
    }
}
