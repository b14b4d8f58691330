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

    func testDecimalReadsOnlyANumberBetweenBlanks() {
        func d(_ s: String) -> pid_t? { ProcInfo.decimal(Array(s.utf8)[...]) }
        XCTAssertEqual(d("\t 42 "), 42)
        XCTAssertEqual(d("\t7"), 7)
        XCTAssertEqual(d("0"), 0)
        XCTAssertEqual(d("2147483647"), Int32.max)
        for bad in ["", " \t", "4x", "-1", "+1", "4 2", "2147483648", "99999999999"] { XCTAssertNil(d(bad), bad) }
    }

    /// The requester is read through one /proc/PID directory descriptor (issue 32): each read
    /// through it says what the read of the whole path says.
    func testReadsThroughTheProcDirectoryAgreeWithReadsOfThePath() throws {
        let proc = ProcInfo.directory(getpid())
        XCTAssertGreaterThanOrEqual(proc, 0)
        defer { close(proc) }
        XCTAssertEqual(ProcInfo.link(at: proc, "exe"), ProcInfo.link("/proc/self/exe"))
        XCTAssertNotNil(ProcInfo.link(at: proc, "exe"))
        XCTAssertEqual(ProcInfo.parentPID(at: proc), getppid())
        XCTAssertEqual(ProcInfo.cgroup(at: proc), ProcInfo.cgroup(getpid()))
        XCTAssertEqual(ProcInfo.firstArguments(at: proc).0, CommandLine.arguments.first)
        XCTAssertEqual(ProcInfo.text(at: proc, "comm", limit: 64), ProcInfo.text("/proc/self/comm", limit: 64))

        // The git root: the nearest directory at or above ours holding `.git`.
        var dir = FileManager.default.currentDirectoryPath, expected: String?
        while true {
            if FileManager.default.fileExists(atPath: dir + (dir == "/" ? "" : "/") + ".git") { expected = dir; break }
            if dir == "/" { break }
            dir = (dir as NSString).deletingLastPathComponent
        }
        XCTAssertEqual(ProcInfo.gitRoot(at: proc), expected)
        XCTAssertNil(ProcInfo.directory(-1) >= 0 ? "opened" : nil, "no such process: no directory")
    }

    /// A directory descriptor names one process: once it has exited and been reaped, nothing is
    /// read through it (not a successor that reuses the pid).
    func testTheDirectoryOfAnExitedProcessReadsNothing() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/cat")
        let input = Pipe()
        child.standardInput = input
        child.standardOutput = FileHandle.nullDevice
        try child.run()
        let proc = ProcInfo.directory(child.processIdentifier)
        XCTAssertGreaterThanOrEqual(proc, 0)
        defer { close(proc) }
        XCTAssertNotNil(ProcInfo.link(at: proc, "exe"), "readable while it runs")
        XCTAssertEqual(ProcInfo.parentPID(at: proc), getpid())
        try input.fileHandleForWriting.close()  // cat exits at end of input
        child.waitUntilExit()
        XCTAssertNil(ProcInfo.link(at: proc, "exe"))
        XCTAssertNil(ProcInfo.parentPID(at: proc))
        XCTAssertNil(ProcInfo.bytes(at: proc, "cmdline", limit: 4096))
    }
}
