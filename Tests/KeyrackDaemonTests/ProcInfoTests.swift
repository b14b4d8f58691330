@testable import KeyrackDaemon
import Foundation
import XCTest

/// The /proc reads behind each access-log record's requester, as the daemon does them per GET.
final class ProcInfoTests: XCTestCase {
    func testParentPIDAndCgroupOfThisProcess() throws {
        XCTAssertEqual(ProcInfo.parentPID(getpid()), getppid())
        let cgroup = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        let lines = cgroup.split(separator: "\n")
        let expected = lines.first(where: { $0.hasPrefix("0::") }).map { String($0.dropFirst(3)) } ?? lines.first.map(String.init)
        XCTAssertEqual(ProcInfo.cgroup(getpid()), expected)
        XCTAssertNil(ProcInfo.parentPID(-1), "no such process: nil, not a guess")
    }

    func testFirstLineStartingWith() {
        let text = Array("Name:\tx\n\nPPid:\t 42 \nPPid:\t7\n0::/a/b".utf8)
        XCTAssertEqual(ProcInfo.firstLine(of: text, startingWith: "PPid:").map { String(decoding: $0, as: UTF8.self) }, "\t 42 ")
        XCTAssertEqual(ProcInfo.firstLine(of: text, startingWith: "0::").map { String(decoding: $0, as: UTF8.self) }, "/a/b", "the last line needs no newline")
        XCTAssertNil(ProcInfo.firstLine(of: text, startingWith: "Tgid:"))
        XCTAssertNil(ProcInfo.firstLine(of: Array("xPPid:\t1".utf8), startingWith: "PPid:"), "only at the start of a line")
    }
}
