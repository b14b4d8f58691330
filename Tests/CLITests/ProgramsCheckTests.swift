import Foundation
import TestSupport
import XCTest

/// scripts/check-programs and the Run/Spawned guard: a program a test or script runs that nothing
/// installs on a fresh machine fails the run (issue 24: `direnv` passed CI only because the CI
/// machine had it from an earlier session).
final class ProgramsCheckTests: XCTestCase {
    private let script = Run.packageRoot.appendingPathComponent("scripts/check-programs").path

    /// A copy of the files the check reads, with `extra` written under Tests/.
    private func tree(programs: String? = nil, installDeps: String? = nil, test: String) throws -> TempDirectory {
        let dir = try TempDirectory("keyrack-programs")
        let fm = FileManager.default
        try fm.createDirectory(at: dir.file("scripts"), withIntermediateDirectories: true)
        try fm.createDirectory(at: dir.file("Tests/X"), withIntermediateDirectories: true)
        for name in ["programs", "install-deps", "requirements.txt"] {
            try fm.copyItem(at: Run.packageRoot.appendingPathComponent("scripts/\(name)"), to: dir.file("scripts/\(name)"))
        }
        if let programs { try Data(programs.utf8).write(to: dir.file("scripts/programs")) }
        if let installDeps { try Data(installDeps.utf8).write(to: dir.file("scripts/install-deps")) }
        try Data(test.utf8).write(to: dir.file("Tests/X/XTests.swift"))
        return dir
    }

    /// The check over `dir` (removed after) fails, exit 1, and its stderr says `problem`; returns the stderr.
    @discardableResult
    private func assertCheckFails(_ dir: TempDirectory, saying problem: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        defer { dir.remove() }
        let r = try Run.process("python3", [script, "--root", dir.url.path])
        XCTAssertEqual(r.status, 1, r.err, file: file, line: line)
        XCTAssertTrue(r.err.contains(problem), r.err, file: file, line: line)
        return r.err
    }

    func testTheRepositoryDeclaresAndInstallsEveryProgramItRuns() throws {
        let r = try Run.process("python3", [script])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("all installed by scripts/install-deps"), r.out)
    }

    func testAProgramNothingDeclaresFailsTheCheck() throws {
        let name = "direnv-from-" + "nowhere"   // not a literal the repository's own check would find
        try assertCheckFails(try tree(test: #"let r = try Run.process("\#(name)", ["allow"])"#),
                             saying: "Tests/X/XTests.swift runs 'direnv-from-nowhere', which scripts/programs does not declare")
    }

    func testADeclaredDebianProgramThatInstallDepsDoesNotInstallFailsTheCheck() throws {
        // The direnv miss exactly: declared, installed on this machine, absent from install-deps.
        let deps = try String(contentsOf: Run.packageRoot.appendingPathComponent("scripts/install-deps"), encoding: .utf8)
        XCTAssertTrue(deps.contains("  direnv binutils\n"))
        try assertCheckFails(try tree(installDeps: deps.replacingOccurrences(of: "  direnv binutils\n", with: "  binutils\n"),
                                      test: #"let r = try Run.process("direnv", ["allow"])"#),
                             saying: "'direnv' needs Debian's direnv, which scripts/install-deps does not install")
    }

    func testAProgramDeclaredAsBaseThatIsNotEssentialFailsTheCheck() throws {
        try assertCheckFails(try tree(programs: "tmux base:tmux\n", test: #"let r = try Run.process("tmux", [])"#),
                             saying: "'tmux' is declared base:tmux, but tmux is not Essential or required")
    }

    func testAProgramAShellScriptRunsIsFoundInCommandPosition() throws {
        let dir = try tree(test: "")
        let script = "#!/usr/bin/env bash\n# a comment naming notaprogram\necho \"text with words\" && frobnicate --now | sort\n"
        try Data(script.utf8).write(to: dir.file("scripts/demo"))
        let err = try assertCheckFails(dir, saying: "scripts/demo runs 'frobnicate'")
        XCTAssertFalse(err.contains("notaprogram") || err.contains("'text'") || err.contains("'sort'"), err)
    }

    func testRunRefusesAnUndeclaredSystemProgram() throws {
        // Names in variables: a literal here would be one the repository's own check finds.
        let undeclared = "direnv-from-nowhere", daemon = "/usr/bin/" + "undeclared-daemon"
        XCTAssertThrowsError(try Run.process(undeclared, [])) { error in
            XCTAssertTrue("\(error)".contains("'direnv-from-nowhere', which scripts/programs does not declare"), "\(error)")
        }
        XCTAssertThrowsError(try Spawned(daemon, [])) { error in
            XCTAssertTrue("\(error)".contains("'undeclared-daemon'"), "\(error)")
        }
        XCTAssertEqual(try Run.process("/bin/sh", ["-c", "exit 7"]).status, 7)
    }
}
