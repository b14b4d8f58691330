import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Use cases that fail after the value was read or decrypted never put it in their error: set
/// into a manifest it cannot open, unlock/list/set of a manifest whose YAML breaks right where
/// the value is, unlock with no usable runtime directory (the live daemon port), get and exec
/// while locked. In-process on an age owner; the parser's message names the place, not the value.
final class FailedCommandHygieneTests: XCTestCase {
    func testFailedCommandsNeverCarryTheSecret() throws {
        let dir = try TempDirectory("keyrack-hygiene")
        defer { dir.remove() }
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        let owner = try makeAgeOwner("human", in: store, userHome: dir.url)
        let secret = "err-" + UUID().uuidString + UUID().uuidString
        func set(_ key: String) throws {
            let input = KeyChange.SetInput(owner: owner, org: "acme", env: try EnvName("test"), key: try KeyName(key), vault: .osSecure, directory: dir.url)
            _ = try KeyChange.set(input, store: store, identities: { try store.identities(for: owner) }, value: { _ in Array(secret.utf8) }, effects: QuietEffects())
        }
        func unlock(_ daemon: any OwnerDaemonPort = FakeDaemon()) throws {
            _ = try Unlock(store: store, terminal: FakeTerminal(), daemon: daemon, clock: FakeClock(), events: { _ in }, fetchRemote: { _, _, _, _ in [:] })
                .run(UnlockRequest(owner: owner, env: "test", key: nil, durationSeconds: nil, pin: .terminal, identityAgent: false, workingDirectory: dir.url, uid: getuid()))
        }
        try set("TOKEN")
        let manifest = store.home.manifest(owner), identity = store.home.ageIdentity(owner).path
        let good = try Data(contentsOf: manifest)

        // set: the value is read, then the manifest turns out to be sealed to someone else.
        let other = dir.file("other.txt")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", other.path]).status, 0)
        let otherPub = try Run.process("age-keygen", ["-y", other.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = try Run.process("age", ["-d", "-i", identity, manifest.path]).out
        XCTAssertTrue(plain.contains(secret), "control: the value is in the decrypted manifest")
        let recipient = try Run.process("age-keygen", ["-y", identity]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        func seal(_ text: String, to key: String) throws {
            let file = try dir.write("plain.yml", Array(text.utf8))
            XCTAssertEqual(try Run.process("age", ["-r", key, "-a", "-o", manifest.path, file.path]).status, 0)
        }
        var checks: [(String, () throws -> Void, String)] = []
        checks.append(("set into a manifest it cannot open", { try set("NEW") }, plain))
        for (label, broken) in [
            ("value as a sequence", plain.replacingOccurrences(of: "acme.test.TOKEN: \(secret)", with: "acme.test.TOKEN: [\(secret)]")),
            ("value under a bad slug", plain.replacingOccurrences(of: "acme.test.TOKEN: \(secret)", with: "not a slug \(secret): \(secret)")),
            ("value with a bad indent", plain.replacingOccurrences(of: "  acme.test.TOKEN: \(secret)", with: "  acme.test.TOKEN: \(secret)\n bad: \(secret)")),
            ("value in an unterminated quote", plain.replacingOccurrences(of: "acme.test.TOKEN: \(secret)", with: "acme.test.TOKEN: \"\(secret)")),
        ] {
            XCTAssertNotEqual(broken, plain, label)
            checks.append(("unlock, \(label)", { try unlock() }, broken))
            checks.append(("list, \(label)", { _ = try store.load(owner: owner, identities: try store.identities(for: owner)) }, broken))
            checks.append(("set, \(label)", { try set("NEW") }, broken))
        }
        for (what, attempt, text) in checks {
            try seal(text, to: what.hasPrefix("set into") ? otherPub : recipient)
            assertNoSecret(what, attempt, secret)
        }
        try good.write(to: manifest)

        // unlock decrypts, then cannot reach a daemon: the runtime directory is a file.
        let blocker = try dir.write("not-a-dir", [])
        let env = EnvironmentOverride()
        env.set("XDG_RUNTIME_DIR", blocker.path)
        defer { env.restore() }
        assertNoSecret("unlock with no usable runtime directory", { try unlock(LiveDaemonPort()) }, secret)
        // get and exec with nothing unlocked.
        assertNoSecret("get while locked", {
            let fetch = try ValueFetch(owner: "human", directory: dir.path, allowDangerous: false)
            _ = try fetch.values([try fetch.request(key: "acme.test.TOKEN", env: nil)])
        }, secret)
        assertNoSecret("exec while locked", { _ = try ExecEnvironment.values(owner: "human", env: "test", keys: ["acme.test.TOKEN"], envFiles: [], allowDangerous: false) }, secret)
        XCTAssertEqual(try Data(contentsOf: manifest), good)
    }

    private func assertNoSecret(_ what: String, _ attempt: () throws -> Void, _ secret: String, line: UInt = #line) {
        XCTAssertThrowsError(try attempt(), "\(what) should fail", line: line) { error in
            let message = (error as? CLIReportable)?.cliMessage ?? "\(error)"
            XCTAssertFalse(message.isEmpty, "\(what): no message", line: line)
            XCTAssertFalse(message.contains(secret) || "\(error)".contains(secret), "\(what) carries the secret: \(error)", line: line)
            XCTAssertFalse(message.contains(String(secret.suffix(16))), "\(what) carries part of the secret: \(error)", line: line)
        }
    }
}
