import Foundation
import KeyrackApp
import KeyrackClient
import XCTest

/// Plain `exec`'s two steps before the program replaces keyrack: the values set in the
/// environment with every copy zeroed, and the shell's exit codes when the program cannot run.
final class PlainExecTests: XCTestCase {
    func testExportSetsTheEnvironmentAndZeroesTheValues() throws {
        let name = "KEYRACK_PLAIN_EXEC_TEST_\(getpid())"
        defer { unsetenv(name) }
        var values: [PlainExec.Value] = [(name: name, value: Array("s3cret value".utf8), granted: true)]
        try PlainExec.export(&values)
        XCTAssertEqual(ProcessInfo.processInfo.environment[name] ?? String(cString: getenv(name)), "s3cret value")
        XCTAssertEqual(values[0].value, Array(repeating: 0, count: 12), "the caller's copy is wiped")
    }

    func testAnInvalidNameIsRefusedNamingIt() {
        var values: [PlainExec.Value] = [(name: "A=B", value: [1], granted: false)]
        XCTAssertThrowsError(try PlainExec.export(&values)) { error in
            XCTAssertTrue((error as? CommandFailure)?.message.contains("cannot set A=B in the environment") == true, "\(error)")
        }
    }

    func testACommandNotOnPathExits127AndOneThatCannotRun126() throws {
        XCTAssertThrowsError(try PlainExec.replaceProcess(with: ["keyrack-no-such-command-\(getpid())"])) { error in
            XCTAssertEqual((error as? CommandFailure)?.exitCode, 127)
            XCTAssertTrue((error as? CommandFailure)?.message.contains("command not found on PATH") == true, "\(error)")
        }
        XCTAssertThrowsError(try PlainExec.replaceProcess(with: [FileManager.default.temporaryDirectory.path])) { error in
            XCTAssertEqual((error as? CommandFailure)?.exitCode, 126, "a directory cannot be run")
            XCTAssertTrue((error as? CommandFailure)?.message.contains("cannot run") == true, "\(error)")
        }
    }
}
