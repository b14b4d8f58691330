import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import PIV
import TestSupport
import XCTest

/// `doctor`'s verdicts on a temp KEYRACK_HOME with an age owner made in-process, the machine
/// (pcscd, cards, sandbox features) answered by fakes: every failure carries its fix, and
/// following the fixes makes the owner healthy again.
final class DoctorChecksTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private var runtime: RuntimeDirectory!

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-doctor")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        let run = dir.file("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        runtime = RuntimeDirectory(path: run.path)
        let input = OwnerInit.Input(owner: try OwnerName("bot"), spec: .age(AgeRecipientSpec()), viaGiven: true,
                                    directory: dir.url, userHome: dir.file("home"))
        _ = try OwnerInit.run(input, store: store, interaction: .nonInteractive, note: { _ in })
    }

    override func tearDown() { dir.remove() }

    /// A machine without pcscd, with bubblewrap and pidfd working.
    private func probes(cards: @escaping () throws -> [(reader: String, serial: UInt32)] = { throw PIVError.pcscdNotRunning },
                        open: Bool = false, sandbox: SandboxReport? = nil) -> DoctorProbes {
        DoctorProbes(cards: cards, pcscdAccess: { (open, open ? "pcscd is built without polkit" : "pcscd is built with polkit") },
                     pcscdAutoExit: { nil },
                     sandbox: { sandbox ?? SandboxReport(bubblewrap: .success("/usr/bin/bwrap"), version: "0.8.0", userNamespaceProblem: nil, pidfd: true, peerPidfd: true) },
                     runtime: runtime)
    }

    private func checks(_ owner: String = "bot", _ probes: DoctorProbes? = nil) -> [String: DoctorCheck] {
        let all = DoctorChecks(owner: owner, store: store, probes: probes ?? self.probes()).all()
        var byName: [String: DoctorCheck] = [:]
        for c in all where byName[c.name] == nil || c.status == .fail { byName[c.name] = c }
        for c in all where c.status == .fail { XCTAssertNotNil(c.fix, "every failure has a fix: \(c)") }
        // A step outside keyrack (`systemctl enable --now`) may name its own options; keyrack's are typed.
        for c in all { assertNamesNoCommandOrFlag(c.detail + (c.fix.map { $0 == .outside($0.words) ? "" : " " + $0.words } ?? "")) }
        return byName
    }

    func testAFreshAgeOwnerIsHealthyWithoutPcscd() throws {
        let all = DoctorChecks(owner: "bot", store: store, probes: probes()).all()
        XCTAssertTrue(DoctorChecks.healthy(all), "\(all.filter { $0.status == .fail })")
        let c = checks()
        XCTAssertEqual(c["owner"]?.status, .pass)
        XCTAssertEqual(c["pcscd"]?.status, .skip, "an age owner needs no pcscd")
        XCTAssertTrue(c["pcscd"]?.detail.contains("not needed: 'bot' uses age") == true, "\(c["pcscd"]!)")
        XCTAssertEqual(c["identity file"]?.status, .pass)
        XCTAssertEqual(c["daemon"]?.detail, "not running (the next unlock starts it)")
        XCTAssertEqual(c["1password"]?.detail, "no 1password keys", "the manifest opened without a passphrase")
        XCTAssertEqual(c["aws"]?.detail, "no AWS keys")
        XCTAssertEqual(c["sandbox"]?.status, .pass)
    }

    func testLoosenedModesFailWithTheirFixAndPassOnceFixed() throws {
        let home = store.home.root.path, manifest = store.home.manifest(try OwnerName("bot")).path
        XCTAssertEqual(chmod(manifest, 0o644), 0)
        XCTAssertEqual(chmod(home, 0o755), 0)
        let all = DoctorChecks(owner: "bot", store: store, probes: probes()).all()
        let failed = all.filter { $0.status == .fail }
        XCTAssertEqual(failed.map(\.name), ["KEYRACK_HOME", "host.bot.yml.age"])
        XCTAssertEqual(failed.map(\.detail), ["\(home) has mode 755, looser than 700", "\(manifest) has mode 644, looser than 600"])
        XCTAssertEqual(failed.map(\.fix), [.outside("chmod 700 \(home)"), .outside("chmod 600 \(manifest)")])
        XCTAssertFalse(DoctorChecks.healthy(all))
        // Following the fixes makes doctor pass again.
        XCTAssertEqual(chmod(manifest, 0o600), 0)
        XCTAssertEqual(chmod(home, 0o700), 0)
        XCTAssertTrue(DoctorChecks.healthy(DoctorChecks(owner: "bot", store: store, probes: probes()).all()))
    }

    /// The rule unlock applies to an identity file (PrivateFile), named with the chmod that fixes it.
    func testAnIdentityFileOthersMayReadFailsAsUnlockRefusesIt() throws {
        let identity = store.home.root.appendingPathComponent("identities/bot.txt").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: identity), "init made the identity")
        XCTAssertEqual(chmod(identity, 0o644), 0)
        let check = try XCTUnwrap(checks()["identity file"])
        XCTAssertEqual(check.status, .fail)
        XCTAssertTrue(check.detail.contains("has mode 644, readable by others"), check.detail)
        XCTAssertTrue(check.detail.hasSuffix("(recipient primary); unlock refuses it"), check.detail)
        XCTAssertEqual(check.fix, .outside("chmod 600 \(identity)"))
    }

    func testAnUninitialisedOwnerFailsWithTheInitCommand() {
        let owner = checks("nobody-here")["owner"]
        XCTAssertEqual(owner?.status, .fail)
        XCTAssertEqual(owner?.fix, .initialise(owner: "nobody-here"), "the CLI words it `keyrack init --for nobody-here --via yubikey …` (DoctorTests)")
    }

    /// An open pcscd is a warning with its remedy, whatever the owner; the cards pcscd sees are listed.
    func testAnOpenPcscdIsAWarningAndTheCardsAreListed() {
        let c = checks("bot", probes(cards: { [(reader: "Yubico YubiKey", serial: 12345678)] }, open: true))
        XCTAssertEqual(c["pcscd"]?.status, .pass)
        XCTAssertEqual(c["pcscd access"]?.status, .warn)
        XCTAssertEqual(c["pcscd access"]?.fix, .pinOnceForRobots)
        XCTAssertEqual(c["cards"]?.detail, "1 seen: 12345678")
    }

    /// Without bubblewrap or pidfd, only `--sandbox` needs them: warnings with the remedy, never failures.
    func testSandboxFeaturesMissingAreWarnings() {
        let report = SandboxReport(bubblewrap: .success("/usr/bin/bwrap"), version: "0.8.0", userNamespaceProblem: "setting up uid map: Permission denied",
                                   pidfd: false, peerPidfd: false)
        let all = DoctorChecks(owner: "bot", store: store, probes: probes(sandbox: report)).all()
        let sandbox = all.filter { $0.name == "sandbox" || $0.name == "pidfd" }
        XCTAssertEqual(sandbox.map(\.status), [.warn, .warn])
        XCTAssertTrue(sandbox[0].detail.contains("cannot make an unprivileged user namespace here: setting up uid map"), sandbox[0].detail)
        XCTAssertTrue(sandbox[0].fix?.words.contains("kernel.unprivileged_userns_clone=1") == true)
        XCTAssertEqual(sandbox[1].fix, .outside("use a newer kernel"))
        XCTAssertTrue(DoctorChecks.healthy(all), "warnings do not fail doctor")
    }

    /// This machine's bubblewrap, user namespaces and pidfd, probed for real; a KEYRACK_BWRAP
    /// that is no program is named.
    func testTheRealSandboxProbeOfThisMachine() {
        let c = checks("bot", probes(sandbox: SandboxReport.probe()))
        let sandbox = c["sandbox"]?.detail ?? ""
        XCTAssertTrue(sandbox.hasPrefix("bubblewrap 0.") && sandbox.hasSuffix("unprivileged user namespaces work"), sandbox)
        XCTAssertEqual(c["pidfd"]?.detail, "pidfd_open works; SO_PEERPIDFD works")
        let missing = checks("bot", probes(sandbox: SandboxReport.probe(environment: ["KEYRACK_BWRAP": "/nonexistent/bwrap"])))
        XCTAssertEqual(missing["sandbox"]?.detail, "cannot build a sandbox: KEYRACK_BWRAP=/nonexistent/bwrap is not an executable file")
    }

    /// A socket whose daemon is gone (bound, nobody listening) is named with the command that clears it.
    func testAStaleSocketIsAFailureWithItsFix() throws {
        let socket = runtime.socket(owner: "bot")
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in socket.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        XCTAssertEqual(bound, 0, String(cString: strerror(errno)))
        XCTAssertEqual(chmod(socket, 0o600), 0)
        let daemon = try XCTUnwrap(checks()["daemon"])
        XCTAssertEqual(daemon.status, .fail, "\(daemon)")
        XCTAssertEqual(daemon.detail, "\(socket) exists but no daemon answers")
        XCTAssertEqual(daemon.fix, .stopTheDaemon(owner: "bot", stale: true), "\(daemon)")
    }

    /// Every typed remedy in the library's words names no command or option of keyrack: the CLI
    /// words them (DoctorRemedy+Text, checked by DoctorTests on the printed lines).
    func testTheRemediesNameNoCommandOrFlag() {
        let all: [DoctorRemedy] = [.initialise(owner: "bot"), .restoreRecipients(owner: "bot", path: "/p"), .recordTheCard(owner: "bot"),
                                   .plugInOrUseBackup(owner: "bot", serial: 1), .recoverWithBackup(owner: "bot"), .checkTheCard(owner: "bot", serial: 1),
                                   .changeFactory(.pin, serial: 1), .changeFactory(.puk, serial: 1), .changeFactory(.managementKey, serial: 1),
                                   .replugAndCheckAgain(owner: "bot", serial: 1), .initialiseMakesIt(owner: "bot"), .stopTheDaemon(owner: "bot", stale: true),
                                   .stopTheDaemon(owner: "bot", stale: false), .pinOnceForRobots, .restoreTPMIdentity(owner: "bot"), .initialiseHere(owner: "bot")]
        for remedy in all { assertNamesNoCommandOrFlag(remedy.words) }
        XCTAssertEqual(DoctorRemedy.changeFactory(.managementKey, serial: 7).words, "change the management key of YubiKey 7")
    }
}
