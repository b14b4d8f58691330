import KeyrackApp
import XCTest

/// `exec`'s request: what each way (plain, sandbox, proxy) needs and cannot combine, refused
/// before anything runs (ExecProblem+Text words each with its options).
final class ExecRequestTests: XCTestCase {
    private func request(_ change: (inout ExecRequest) -> Void) -> ExecRequest {
        var r = ExecRequest(command: ["true"])
        change(&r)
        return r
    }

    private func assertRefused(_ r: ExecRequest, _ problem: ExecRequest.Problem, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try r.check(), file: file, line: line) { XCTAssertEqual($0 as? ExecRequest.Problem, problem, file: file, line: line) }
    }

    func testEachWayIsRefusedWhatItCannotKeep() {
        assertRefused(ExecRequest(command: []), .noCommand)
        assertRefused(request { _ in }, .nothingToPass)
        assertRefused(request { $0.env = "Prod!" }, .invalidEnv("Prod!"))
        assertRefused(request { $0.envFiles = ["x.env"]; $0.keys = ["K"] }, .keysNeedEnv)
        assertRefused(request { $0.env = "test"; $0.workdir = "/w" }, .needsSandbox)
        assertRefused(request { $0.env = "test"; $0.shares = [".aws"] }, .needsSandbox)
        assertRefused(request { $0.env = "test"; $0.unlock = true }, .needsSandbox)
        assertRefused(request { $0.sandbox = true; $0.unlock = true }, .unlockNeedsEnv)
        assertRefused(request { $0.env = "test"; $0.sandbox = true; $0.mask = true }, .maskInSandbox)
        assertRefused(request { $0.env = "test"; $0.upstreamCACerts = ["/x"] }, .upstreamCANeedsProxy)
        assertRefused(request { $0.envFiles = ["x.env"]; $0.proxy = true }, .proxyNeedsEnv)
        assertRefused(request { $0.env = "test"; $0.envFiles = ["x.env"]; $0.proxy = true }, .proxyWithEnvFile)
        assertRefused(request { $0.env = "test"; $0.proxy = true; $0.mask = true }, .proxyWithMask)
    }

    func testWhatEachWayTakes() {
        XCTAssertNoThrow(try request { $0.env = "test"; $0.keys = ["K"]; $0.mask = true }.check())
        XCTAssertNoThrow(try request { $0.envFiles = ["x.env"] }.check(), "an env file names its keys itself")
        XCTAssertNoThrow(try request { $0.sandbox = true }.check(), "in a sandbox the program asks with keyrack get")
        XCTAssertNoThrow(try request { $0.sandbox = true; $0.env = "test"; $0.unlock = true; $0.workdir = "/w"; $0.shares = [".aws"] }.check())
        XCTAssertNoThrow(try request { $0.env = "test"; $0.keys = ["K"]; $0.proxy = true; $0.upstreamCACerts = ["/ca.pem"] }.check())
        XCTAssertNoThrow(try request { $0.env = "test"; $0.proxy = true; $0.sandbox = true }.check())
    }
}
