import KeyrackApp
import KeyrackClient
import KeyrackPresentation
import XCTest

/// exec's refusals and failures in its options' words: the app layer names the problem, these
/// lines name the flags that cause or fix it.
final class ExecWordsTests: XCTestCase {
    /// The flags each problem's line must name. A switch, not a list: a new problem does not
    /// compile here until its flags are written down.
    private func flags(_ problem: ExecRequest.Problem) -> [String] {
        switch problem {
        case .noCommand: ["--", "keyrack exec --env test -- make deploy"]
        case .nothingToPass: ["--env ENV", "--env-file FILE", "--sandbox"]
        case .invalidEnv(let env): ["--env '\(env)'"]
        case .keysNeedEnv: ["--key", "--env", "keyrack://ORG.ENV.KEY"]
        case .needsSandbox: ["--workdir", "--share", "--unlock", "--sandbox"]
        case .unlockNeedsEnv: ["--unlock", "--env"]
        case .maskInSandbox: ["--mask", "--sandbox"]
        case .upstreamCANeedsProxy: ["--upstream-cacert", "--proxy"]
        case .proxyNeedsEnv: ["--proxy", "--env ENV", "--key"]
        case .proxyWithEnvFile: ["--proxy", "--env-file", "--env", "--key"]
        case .proxyWithMask: ["--proxy", "--mask"]
        }
    }

    func testEveryProblemNamesItsFlags() {
        let all: [ExecRequest.Problem] = [.noCommand, .nothingToPass, .invalidEnv("B@D"), .keysNeedEnv, .needsSandbox, .unlockNeedsEnv,
                                          .maskInSandbox, .upstreamCANeedsProxy, .proxyNeedsEnv, .proxyWithEnvFile, .proxyWithMask]
        for problem in all {
            let text = problem.cliText
            for flag in flags(problem) { XCTAssertTrue(text.contains(flag), "\(problem): \(text) lacks \(flag)") }
            XCTAssertFalse(text.contains("\n"), "\(problem): one line")
        }
        XCTAssertEqual(Set(all.map(\.cliText)).count, all.count, "each problem reads differently")
    }

    /// The rule (ExecRequest.check) and its words meet: what the command would print for a
    /// request that asks for --proxy and --mask at once.
    func testARefusedRequestReadsInItsFlags() throws {
        var request = ExecRequest(command: ["make"])
        (request.env, request.proxy, request.mask) = ("test", true, true)
        XCTAssertThrowsError(try request.check()) { error in
            XCTAssertEqual((error as? ExecRequest.Problem)?.cliText, "--proxy and --mask cannot be combined: under --proxy the program holds no value to mask")
        }
        request = ExecRequest(command: [])
        request.env = "test"
        XCTAssertThrowsError(try request.check()) { error in
            XCTAssertEqual((error as? ExecRequest.Problem)?.cliText, "no command given: put it after --, e.g. keyrack exec --env test -- make deploy")
        }
    }

    /// The proxy's failures: the library's problem, then a remedy in exec's flags (the library's
    /// own remedy names none), exit 1.
    func testProxyFailuresNameExecsFlags() {
        let short = ExecProxyError.noPlaceholder(name: "PIN")
        XCTAssertEqual(short.cliMessage, "error: PIN is too short for a placeholder that cannot be mistaken for other text: pass this key without --proxy, or leave it out with --key")
        XCTAssertEqual(short.exitCode, ExitStatus.failure)
        XCTAssertTrue(ExecProxyError.unreadableCA("/x.pem").cliMessage.hasSuffix("give a readable PEM file (SSL_CERT_FILE, --upstream-cacert)"))
        XCTAssertTrue(ExecProxyError.proxyFailed(trust: [], reason: "r").cliFix.contains("--upstream-cacert"))
        // No flag fixes a temporary directory: the library's words stand.
        XCTAssertEqual(ExecProxyError.tempDirectory("full").cliFix, ExecProxyError.tempDirectory("full").fix)
    }

    /// `exec --sandbox`: each failure's remedy, the command `--json` reports, and the exit code.
    func testSandboxFailuresCarryTheirFixAndExitCode() {
        let locked = SandboxError.ownerLocked(owner: "ci")
        XCTAssertEqual(locked.cliMessage, "error: the daemon of 'ci' is not running, so the sandbox would have no keys to reach: unlock the owner first (keyrack unlock --for ci --env ENV)")
        XCTAssertEqual(locked.fixCommand, "keyrack unlock --for ci --env ENV")
        XCTAssertEqual(locked.exitCode, ExitStatus.notGranted)
        XCTAssertEqual(SandboxError.notBuilt(status: 1).fixCommand, "keyrack doctor")
        XCTAssertEqual(SandboxError.notBuilt(status: 1).exitCode, ExitStatus.failure)
        XCTAssertEqual(SandboxError.registrationFailed(owner: "ci", reason: "r").exitCode, ExitStatus.denied)
        XCTAssertEqual(SandboxError.badWorkdir(path: "/", reason: "is the root").cliMessage, "error: the sandbox's workdir / is the root: give --workdir a project directory")
        XCTAssertNil(SandboxError.bubblewrapMissing("no bwrap").fixCommand)
        XCTAssertEqual(ErrorReport(locked).code, "not-granted")
    }
}
