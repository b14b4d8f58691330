@testable import KeyrackApp
import XCTest

/// What the plan hides and refuses, on a fake file system (a set of existing paths, with a
/// symlink table), so every rule is checked without bubblewrap.
final class SandboxPlanTests: XCTestCase {
    private var existing: Set<String> = [
        "/home/v", "/home/v/src/app", "/home/v/.ssh", "/home/v/.ssh/id_mechanic", "/home/v/.rhachet/keyrack",
        "/run/user/1000", "/run/user/1000/keyrack/daemon.seaturtle.sock", "/run/pcscd",
        "/srv/keys/mechanic.key", "/tmp/x/age.key", "/home/v/.gitconfig", "/home/v/src/app/leaked.key",
    ]
    private var links: [String: String] = ["/home/v/link-to-srv-key": "/srv/keys/mechanic.key"]

    private var files: SandboxPlan.FileFacts {
        SandboxPlan.FileFacts { [existing, links] path in
            let p = links[path] ?? path
            return existing.contains(p) ? p : nil
        }
    }

    private func inputs(workdir: String = "/home/v/src/app", shared: [String] = [], identities: [String] = [],
                        xdg: String? = "/run/user/1000", owner: String = "seaturtle") -> SandboxPlan.Inputs {
        SandboxPlan.Inputs(owner: owner, workdir: workdir, shared: shared, command: ["agent"], home: "/home/v",
                           keyrackHome: "/home/v/.rhachet/keyrack", xdgRuntimeDirectory: xdg, uid: 1000, identityFiles: identities)
    }

    func testHidesKeyrackHomeSSHAndTheCard() throws {
        let spec = try SandboxPlan.make(inputs(), files: files)
        XCTAssertEqual(spec.hiddenDirectories, ["/home/v/.rhachet/keyrack", "/home/v/.ssh", "/run/pcscd"])
        XCTAssertEqual(spec.home, "/home/v")
        XCTAssertEqual(spec.runtimeDirectory, "/run/user/1000")
        XCTAssertEqual(spec.socketDirectory, "/run/user/1000/keyrack")
        XCTAssertEqual(spec.socket, "/run/user/1000/keyrack/daemon.seaturtle.sock")
    }

    func testIdentityFilesAreCoveredOnlyWhereTheyWouldShow() throws {
        let ids = ["/home/v/.ssh/id_mechanic", "/srv/keys/mechanic.key", "/tmp/x/age.key", "/home/v/src/app/leaked.key",
                   "/home/v/link-to-srv-key", "/nowhere/gone.key"]
        let spec = try SandboxPlan.make(inputs(identities: ids), files: files)
        // ~/.ssh is hidden whole, /tmp is private, a missing file needs nothing; the one outside
        // the home and the one inside the workdir (bound back) are covered, each once.
        XCTAssertEqual(spec.hiddenFiles, ["/srv/keys/mechanic.key", "/home/v/src/app/leaked.key"])
    }

    func testRefusesAWorkdirThatIsHiddenOrHoldsTheHome() {
        XCTAssertThrowsError(try SandboxPlan.make(inputs(workdir: "/home/v/.ssh"), files: files)) { error in
            XCTAssertEqual(error as? SandboxError, .badWorkdir(path: "/home/v/.ssh", reason: "is inside /home/v/.ssh, which the sandbox hides"))
        }
        XCTAssertThrowsError(try SandboxPlan.make(inputs(workdir: "/home/v"), files: files)) { error in
            XCTAssertEqual(error as? SandboxError, .badWorkdir(path: "/home/v", reason: "holds the home directory /home/v, which the sandbox replaces"))
        }
        XCTAssertThrowsError(try SandboxPlan.make(inputs(workdir: "/home/v/nope"), files: files)) { error in
            XCTAssertEqual(error as? SandboxError, .badWorkdir(path: "/home/v/nope", reason: "does not exist"))
        }
    }

    func testRefusesASharedPathOverlappingWhatIsHidden() throws {
        XCTAssertThrowsError(try SandboxPlan.make(inputs(shared: ["/home/v/.ssh"]), files: files)) { error in
            guard case .badShare(let path, _)? = error as? SandboxError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "/home/v/.ssh")
        }
        XCTAssertThrowsError(try SandboxPlan.make(inputs(shared: ["/home/v/.rhachet"]), files: files))
        XCTAssertEqual(try SandboxPlan.make(inputs(shared: ["/home/v/.gitconfig"]), files: files).shared, ["/home/v/.gitconfig"])
    }

    func testAnOwnerWithoutADaemonHasNoSandbox() {
        XCTAssertThrowsError(try SandboxPlan.make(inputs(owner: "mechanic"), files: files)) { error in
            XCTAssertEqual(error as? SandboxError, .ownerLocked(owner: "mechanic"))
        }
    }

    func testWithoutXDGTheSocketIsInTheTmpFallback() throws {
        existing.insert("/tmp/keyrack-1000/daemon.seaturtle.sock")
        let spec = try SandboxPlan.make(inputs(xdg: nil), files: files)
        XCTAssertNil(spec.runtimeDirectory)
        // The login's runtime directory (D-Bus, systemd) is hidden even when XDG does not name it.
        XCTAssertTrue(spec.hiddenDirectories.contains("/run/user/1000"), "\(spec.hiddenDirectories)")
        XCTAssertEqual(spec.socket, "/tmp/keyrack-1000/daemon.seaturtle.sock")
    }

    func testChildPIDFromBubblewrapsInfo() {
        XCTAssertEqual(SandboxLaunch.childPID(in: "{\n    \"child-pid\": 14768,\n    \"ipc-namespace\": 4026532176\n}"), 14768)
        XCTAssertNil(SandboxLaunch.childPID(in: "{}"))
    }
}

/// What runs first inside the sandbox: keyrack's plain exec with the caller's key options.
final class SandboxInnerCommandTests: XCTestCase {
    func testKeysAreFetchedInsideByPlainExec() {
        let request = SandboxExec.Request(owner: "seaturtle", workdir: nil, shared: [],
                                          keys: .init(env: "test", names: ["API", "acme.test.DB"], envFiles: ["rel/.env.keyrack", "/abs/.env"], allowDangerous: true),
                                          command: ["agent", "--flag", "--"])
        XCTAssertEqual(SandboxExec.innerCommand(request, keyrack: "/opt/kr/keyrack-cli", cwd: "/home/v/src/app"), [
            "/opt/kr/keyrack-cli", "exec", "--for", "seaturtle", "--env", "test", "--key", "API", "--key", "acme.test.DB",
            "--env-file", "/home/v/src/app/rel/.env.keyrack", "--env-file", "/abs/.env", "--allow-dangerous", "--", "agent", "--flag", "--",
        ])
    }

    func testWithoutKeysTheCommandRunsAsItIs() {
        let request = SandboxExec.Request(owner: "seaturtle", workdir: nil, shared: [],
                                          keys: .init(env: nil, names: [], envFiles: [], allowDangerous: false), command: ["claude"])
        XCTAssertEqual(SandboxExec.innerCommand(request, keyrack: "/opt/kr/keyrack-cli", cwd: "/w"), ["claude"])
    }

    func testKeyracksOwnBinariesAreBoundInUnlessHidden() throws {
        let present: Set<String> = ["/home/v", "/home/v/src/app", "/run/user/1000/keyrack/daemon.a.sock", "/home/v/.local/bin/keyrack-cli", "/home/v/.rhachet/keyrack", "/home/v/.rhachet/keyrack/evil"]
        let files = SandboxPlan.FileFacts { present.contains($0) ? $0 : nil }
        let spec = try SandboxPlan.make(.init(owner: "a", workdir: "/home/v/src/app", command: ["x"],
                                              tools: ["/home/v/.local/bin/keyrack-cli", "/home/v/.rhachet/keyrack/evil", "/gone"], home: "/home/v",
                                              keyrackHome: "/home/v/.rhachet/keyrack", xdgRuntimeDirectory: "/run/user/1000", uid: 1000, identityFiles: []), files: files)
        XCTAssertEqual(spec.tools, ["/home/v/.local/bin/keyrack-cli"])
        XCTAssertTrue(BubblewrapArguments.make(spec).joined(separator: " ").contains("--ro-bind /home/v/.local/bin/keyrack-cli /home/v/.local/bin/keyrack-cli"))
    }
}

/// `exec --sandbox --unlock`: which unlocks run before the sandbox.
final class SandboxUnlockTests: XCTestCase {
    func testSudoKeysAreUnlockedOneAtATimeOtherEnvsAtOnce() throws {
        XCTAssertEqual(try SandboxUnlock.invocations(owner: "st", env: "sudo", keys: ["A", "B"]),
                       [["unlock", "--for", "st", "--env", "sudo", "--key", "A"], ["unlock", "--for", "st", "--env", "sudo", "--key", "B"]])
        XCTAssertEqual(try SandboxUnlock.invocations(owner: "st", env: "test", keys: ["A"]), [["unlock", "--for", "st", "--env", "test", "--key", "A"]])
        XCTAssertEqual(try SandboxUnlock.invocations(owner: "st", env: "test", keys: ["A", "B"]), [["unlock", "--for", "st", "--env", "test"]])
        XCTAssertEqual(try SandboxUnlock.invocations(owner: "st", env: "test", keys: []), [["unlock", "--for", "st", "--env", "test"]])
        XCTAssertThrowsError(try SandboxUnlock.invocations(owner: "st", env: nil, keys: [])) { XCTAssertEqual($0 as? SandboxUnlock.Failure, .needsEnv) }
    }
}
