import Foundation
@testable import KeyrackDaemon
import XCTest

/// The daemon's side of `exec --sandbox`, without bubblewrap: what is not a sandbox cannot be
/// registered, and a peer in the daemon's own namespaces is placed on the host. (The CLI tests
/// run real sandboxes: Tests/CLITests/SandboxTests.swift.)
final class SandboxRegistryTests: XCTestCase {
    func testNamespacesAreReadFromProc() throws {
        let own = try XCTUnwrap(Namespaces.own)
        XCTAssertGreaterThan(own.user, 0)
        XCTAssertEqual(Namespaces.id("/proc/self/ns/pid"), own.pid)
        XCTAssertNil(Namespaces.of(pid: -1))
    }

    func testAProcessOfTheHostCannotBeRegisteredAsASandbox() {
        let registry = SandboxRegistry()
        XCTAssertThrowsError(try registry.register(pid: getpid())) { error in
            XCTAssertEqual(error as? SandboxRegistry.RegistrationError, .notASandbox(pid: getpid()))
        }
        XCTAssertEqual(registry.count, 0)
    }

    func testAnExitedProcessCannotBeRegistered() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        XCTAssertThrowsError(try SandboxRegistry().register(pid: p.processIdentifier)) { error in
            XCTAssertEqual(error as? SandboxRegistry.RegistrationError, .gone(pid: p.processIdentifier))
        }
    }

    func testAPeerInTheDaemonsOwnNamespacesIsOnTheHost() {
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        XCTAssertEqual(SandboxRegistry().place(socket: fds[0], pid: getpid()), .host)
        XCTAssertEqual(PeerProcess.pidNamespaceDepth(getpid()), 1)
        XCTAssertNil(PeerProcess.pidNamespaceDepth(-1))
    }

    func testTheNewRequestsRoundTrip() throws {
        let body = Request.registerSandbox(pid: 4242).encodeBody()
        guard case .registerSandbox(let pid) = try Request.decode(body: body) else { return XCTFail() }
        XCTAssertEqual(pid, 4242)
        guard case .requireSandbox = try Request.decode(body: Request.requireSandbox.encodeBody()) else { return XCTFail() }
        guard case .sandboxAccepted = try Response.decode(body: Response.sandboxAccepted.encodeBody()) else { return XCTFail() }
    }
}
