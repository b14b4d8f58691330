import KeyrackApp
import XCTest

/// The spec → bwrap argv mapping: what is hidden, in which order (a later mount covers an earlier
/// one), and that the command comes last, behind the shim, after `--`.
final class BubblewrapArgumentsTests: XCTestCase {
    private let spec = SandboxSpec(
        owner: "seaturtle", workdir: "/home/v/src/app", home: "/home/v", shared: ["/home/v/.gitconfig"],
        hiddenDirectories: ["/home/v/.rhachet/keyrack", "/home/v/.ssh", "/run/pcscd"], hiddenFiles: ["/srv/keys/mechanic.key"],
        runtimeDirectory: "/run/user/1000", socketDirectory: "/run/user/1000/keyrack",
        socket: "/run/user/1000/keyrack/daemon.seaturtle.sock", command: ["claude", "--print", "hi; rm -rf /"])

    func testNamespacesSessionAndDeathWithParent() {
        let a = BubblewrapArguments.make(spec)
        for flag in ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--new-session", "--die-with-parent"] {
            XCTAssertTrue(a.contains(flag), flag)
        }
        // Never a network namespace (robots need the network) nor a shared one of the host's pid.
        XCTAssertFalse(a.contains("--share-net") || a.contains("--unshare-all"))
        XCTAssertFalse(a.contains("--uid"), "the caller's uid inside is bwrap's default")
    }

    func testLayersInOrder() {
        let a = BubblewrapArguments.make(spec)
        func index(_ seq: [String]) -> Int {
            for i in 0...(a.count - seq.count) where Array(a[i..<(i + seq.count)]) == seq { return i }
            XCTFail("missing \(seq)"); return -1
        }
        let root = index(["--ro-bind", "/", "/"])
        let proc = index(["--proc", "/proc"])
        let tmp = index(["--perms", "1777", "--tmpfs", "/tmp"])
        let home = index(["--perms", "0700", "--tmpfs", "/home/v"])
        let share = index(["--ro-bind", "/home/v/.gitconfig", "/home/v/.gitconfig"])
        let work = index(["--bind", "/home/v/src/app", "/home/v/src/app"])
        let kr = index(["--perms", "0700", "--tmpfs", "/home/v/.rhachet/keyrack", "--remount-ro", "/home/v/.rhachet/keyrack"])
        let ssh = index(["--tmpfs", "/home/v/.ssh", "--remount-ro", "/home/v/.ssh"])
        let pcscd = index(["--tmpfs", "/run/pcscd", "--remount-ro", "/run/pcscd"])
        let key = index(["--ro-bind", "/dev/null", "/srv/keys/mechanic.key"])
        let runtime = index(["--perms", "0700", "--tmpfs", "/run/user/1000"])
        let dir = index(["--perms", "0700", "--dir", "/run/user/1000/keyrack"])
        let socket = index(["--bind", "/run/user/1000/keyrack/daemon.seaturtle.sock", "/run/user/1000/keyrack/daemon.seaturtle.sock"])
        XCTAssertEqual([root, proc, tmp, home, share, work, kr, ssh, pcscd, key, runtime, dir, socket].sorted(),
                       [root, proc, tmp, home, share, work, kr, ssh, pcscd, key, runtime, dir, socket])
        XCTAssertLessThan(root, proc)
        XCTAssertEqual(Array(a[(index(["--chdir"]))...].prefix(2)), ["--chdir", "/home/v/src/app"])
    }

    func testCommandIsLastAndUnparsed() {
        let a = BubblewrapArguments.make(spec)
        let dashdash = a.firstIndex(of: "--")!
        XCTAssertEqual(Array(a[(dashdash + 1)...]), ["/bin/sh", "-c", BubblewrapArguments.shim(.init()), "keyrack-sandbox", "claude", "--print", "hi; rm -rf /"])
        XCTAssertEqual(a.filter { $0 == "--" }.count, 1)
        XCTAssertTrue(a.joined(separator: " ").contains("--setenv KEYRACK_SANDBOX_OWNER seaturtle"))
    }

    func testShimWaitsForGoAndClosesKeyracksDescriptors() {
        let shim = BubblewrapArguments.shim(.init(info: 3, ready: 4, go: 5))
        XCTAssertEqual(shim, "printf r >&4 && IFS= read -r go <&5 && [ \"$go\" = go ] || exit 125; exec 3>&- 4>&- 5<&-; exec \"$@\"")
        XCTAssertTrue(BubblewrapArguments.make(spec).contains("--info-fd"))
    }

    func testWithoutXDGTheFallbackDirectoryIsMadeInThePrivateTmp() {
        var s = spec
        s.runtimeDirectory = nil
        s.socketDirectory = "/tmp/keyrack-1000"
        s.socket = "/tmp/keyrack-1000/daemon.seaturtle.sock"
        let a = BubblewrapArguments.make(s)
        XCTAssertFalse(a.contains("/run/user/1000"))
        XCTAssertTrue(a.joined(separator: " ").contains("--perms 0700 --dir /tmp/keyrack-1000 --bind /tmp/keyrack-1000/daemon.seaturtle.sock"))
    }
}
