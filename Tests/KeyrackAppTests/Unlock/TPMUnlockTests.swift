import Foundation
@testable import KeyrackApp
import KeyrackCore
import TestSupport
import XCTest
import KeyrackNames

/// `unlock` of a TPM owner in-process against a real software TPM (Debian's swtpm, a fresh one
/// per test, named by KEYRACK_TPM_TCTI in this process as the CLI's environment would name it):
/// which TPM opens the manifest, which backup takes over, what a failing TPM ends. The CLI's
/// exit 5 is a KeyrackError of kind `.card` (a hardware token's failure); "nothing granted" is
/// nothing handed to the fake daemon.
final class TPMUnlockTests: XCTestCase {
    private var tpm: SoftwareTPM!
    private var bench: UnlockBench!

    override func setUpWithError() throws {
        tpm = try SoftwareTPM()
        setenv("KEYRACK_TPM_TCTI", tpm.tcti, 1)
        bench = try UnlockBench("keyrack-tpm-unlock")
    }

    override func tearDown() {
        unsetenv("KEYRACK_TPM_TCTI")
        tpm?.stop()
        bench?.remove()
    }

    /// `init --for NAME --via tpm` (a robot: no PIN), then `set` of acme.test.K.
    private func owner(_ name: String, value: String) throws -> OwnerName {
        let owner = try bench.owner(name, .tpm(TPMRecipientSpec()))
        try bench.set(owner, "acme.test.K", value: value)
        return owner
    }

    /// `unlock --env test`, on the TPM `tcti` names (this test's by default).
    @discardableResult
    private func unlock(_ owner: OwnerName, in store: HostManifestStore? = nil, identities: [String] = [], pin: PINInput = .terminal, tcti: String? = nil) throws -> UnlockResult {
        if let tcti { setenv("KEYRACK_TPM_TCTI", tcti, 1) }
        defer { setenv("KEYRACK_TPM_TCTI", tpm.tcti, 1) }
        return try bench.unlock(owner, env: "test", pin: pin, identities: identities, in: store)
    }

    private var daemon: FakeDaemon { bench.daemon }
    private var granted: [String] { daemon.granted.map { String(decoding: $0.value, as: UTF8.self) } }

    private func assertCardFailure(_ error: Error, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual((error as? KeyrackError)?.kind, .card, "exit 5: \(error)", file: file, line: line)
        let message = (error as? KeyrackError)?.message ?? "\(error)"
        XCTAssertTrue(message.contains(text), message, file: file, line: line)
        XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
    }

    func testAnotherMachinesTPMCannotOpenTheManifestEvenWithTheIdentityFile() throws {
        let value = freshToken()
        let edge = try owner("edge", value: value)
        // The whole KEYRACK_HOME (manifest and identity file) on a machine with another TPM.
        let other = try SoftwareTPM()
        defer { other.stop() }
        XCTAssertThrowsError(try unlock(edge, tcti: other.tcti)) { error in
            assertCardFailure(error, "the sealed key belongs to another TPM")
            XCTAssertFalse("\(error)".contains(value))
        }
        XCTAssertTrue(daemon.log.isEmpty, "nothing was granted")
        // Back on its own TPM it opens.
        try unlock(edge)
        XCTAssertEqual(granted, [value])
    }

    func testTheManifestCopiedToAnotherHomeOnTheSameTPMOpensOnlyWithTheIdentityFile() throws {
        let value = freshToken()
        let moved = try owner("moved", value: value)
        let store = bench.store
        let elsewhere = HostManifestStore(home: KeyrackHome(root: bench.dir.file("elsewhere")))
        try FileManager.default.createDirectory(at: elsewhere.home.root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for file in [store.home.manifest(moved), store.home.recipientsFile(moved)] {
            try FileManager.default.copyItem(at: file, to: elsewhere.home.root.appendingPathComponent(file.lastPathComponent))
        }
        // The recipients file still names the identity in the first home; without it, nothing opens.
        let hidden = bench.dir.file("moved.tpm.txt")
        try FileManager.default.moveItem(at: store.home.root.appendingPathComponent("identities/moved.tpm.txt"), to: hidden)
        XCTAssertThrowsError(try unlock(moved, in: elsewhere)) { error in
            XCTAssertTrue("\(error)".contains("no identity of owner moved is on this machine"), "\(error)")
            XCTAssertFalse("\(error)".contains(value))
        }
        XCTAssertTrue(daemon.granted.isEmpty)
        // With the identity file, the same TPM opens it.
        try unlock(moved, in: elsewhere, identities: [hidden.path])
        XCTAssertEqual(granted, [value])
    }

    func testUnlockFallsBackToABackupWhenTheTPMIsAbsentOrAnotherButNotWhenItFailsMidway() throws {
        let value = freshToken()
        let edge = try owner("edge", value: value)
        let backup = bench.dir.file("paper.txt")
        let keygen = try Run.process("age-keygen", ["-o", backup.path])
        XCTAssertEqual(keygen.status, 0, keygen.description)
        let pub = try XCTUnwrap(keygen.err.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }, keygen.err)
        _ = try bench.store.addRecipient(owner: edge, label: try RecipientLabel("paper"), publicKey: pub, identityPath: backup.path,
                                         identities: try bench.identities(edge))
        try bench.set(edge, "acme.test.K", value: value)
        let manifest = try String(contentsOf: bench.store.home.manifest(edge), encoding: .utf8)
        let header = String(decoding: Data(base64Encoded: manifest.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()) ?? Data(), as: UTF8.self)
        XCTAssertTrue(header.contains("\n-> p256tag ") && header.contains("\n-> X25519 "), header)

        // Another machine's TPM, and no TPM at all: the backup opens the manifest.
        let other = try SoftwareTPM()
        defer { other.stop() }
        for tcti in [other.tcti, "device:/dev/keyrack-no-such-tpm"] {
            bench.daemon = FakeDaemon()
            let r = try unlock(edge, tcti: tcti)
            XCTAssertEqual(r.recipient, "paper (age, \(backup.path))", tcti)
            XCTAssertEqual(granted, [value], tcti)
        }
        // A TPM that is here but fails (gone mid-command) stops the unlock, as a card that refuses.
        tpm.kill()
        bench.daemon = FakeDaemon()
        XCTAssertThrowsError(try unlock(edge)) { error in assertCardFailure(error, "cannot talk to the TPM") }
        XCTAssertTrue(daemon.granted.isEmpty)
    }

    func testATPMThatIsGoneFailsTheUnlockWithOneLineAndExit5AndGrantsNothing() throws {
        let gone = try owner("gone", value: "v")
        tpm.kill()
        XCTAssertThrowsError(try unlock(gone)) { error in assertCardFailure(error, "cannot talk to the TPM at \(tpm.tcti)") }
        XCTAssertTrue(daemon.log.isEmpty, "nothing granted")
    }

    func testOneECDHZGenPerUnlockWhateverTheNumberOfKeysCountedOnTheWire() throws {
        let counted = try bench.owner("counted", .tpm(TPMRecipientSpec()))
        for key in ["A", "B", "C"] { try bench.set(counted, "acme.test.\(key)", value: freshToken()) }
        // libtss2's pcap TCTI in front of the swtpm one records every command keyrack sends.
        let capture = bench.dir.file("tpm.pcapng")
        setenv("TCTI_PCAP_FILE", capture.path, 1)
        defer { unsetenv("TCTI_PCAP_FILE") }
        try unlock(counted, tcti: "pcap:" + tpm.tcti)
        XCTAssertEqual(try ecdhZGenCommands(in: capture), 1, "one ECDH_ZGen for three keys")
        try unlock(counted, tcti: "pcap:" + tpm.tcti)
        XCTAssertEqual(try ecdhZGenCommands(in: capture), 2, "and one more per unlock")
        XCTAssertEqual(try bench.store.load(owner: counted, identities: try bench.identities(counted)).keys.count, 3)
    }

    /// The TPM2_ECDH_ZGen commands (code 0x154) in a pcapng capture that the TPM answered with success.
    private func ecdhZGenCommands(in capture: URL) throws -> Int {
        let b = [UInt8](try Data(contentsOf: capture))
        func u32le(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24 }
        var messages: [[UInt8]] = []
        var i = 0
        while i + 12 <= b.count {
            let type = u32le(i), length = u32le(i + 4)
            guard length >= 12, i + length <= b.count else { break }
            if type == 6 {
                let data = i + 28, captured = u32le(i + 20)
                let tcp = data + Int(b[data] & 0x0F) * 4, payload = tcp + Int(b[tcp + 12] >> 4) * 4
                if payload + 10 <= data + captured { messages.append(Array(b[payload..<(payload + 10)])) }
            }
            i += length
        }
        var n = 0
        for (command, response) in zip(messages, messages.dropFirst())
        where command[0] == 0x80 && Array(command[6..<10]) == [0x00, 0x00, 0x01, 0x54] && Array(response[6..<10]) == [0, 0, 0, 0] {
            n += 1
        }
        return n
    }

    func testPINOnceUnlocksUnattendedFromAFileAndAWrongPINReportsTheCounterWithoutRetrying() throws {
        let pin = "tpm-" + String(UInt32.random(in: 100_000...999_999)), value = freshToken()
        let robo = try bench.owner("robo", .tpm(TPMRecipientSpec(pinPolicy: .once)), pin: pin)
        XCTAssertTrue(try String(contentsOf: bench.store.home.root.appendingPathComponent("identities/robo.tpm.txt"), encoding: .utf8).contains("# PIN: yes"))
        // set opens the manifest to change it: the PIN, asked as a PIN (a terminal that cannot
        // answer ends it: the CLI's SecretPrompt.NoTerminal names what it could not ask for).
        XCTAssertThrowsError(try bench.set(robo, "acme.test.K", value: value))
        let asked = try XCTUnwrap(bench.terminal.asked.last)
        guard case .pin(let prompt) = asked else { return XCTFail("\(asked)") }
        XCTAssertTrue(prompt.contains("Enter the TPM PIN (3 tries left before the TPM locks out)") || prompt.contains("tries left"), prompt)
        XCTAssertTrue(SecretPrompt.NoTerminal(what: TerminalInteraction.secretName(prompt)).problem.hasPrefix("cannot ask for the TPM PIN: no terminal"))
        bench.terminal.answers[asked] = Array(pin.utf8)
        try bench.set(robo, "acme.test.K", value: value)
        bench.terminal.answers = [:]

        // A wrong PIN (from a file, as from stdin): exit 5 with the tries left, one try spent.
        let wrong = try bench.dir.write("wrong.pin", Array("0000\n".utf8))
        let max = try lockoutProperty("TPM2_PT_MAX_AUTH_FAIL")
        XCTAssertThrowsError(try unlock(robo, pin: .file(wrong.path))) { assertCardFailure($0, "wrong TPM PIN (\(max - 1) tries left before the TPM locks out)") }
        XCTAssertEqual(try lockoutProperty("TPM2_PT_LOCKOUT_COUNTER"), 1, "one try spent: never retried")
        XCTAssertTrue(daemon.log.isEmpty)

        let pinFile = try bench.dir.write("robo.pin", Array("\(pin)\n".utf8))
        try unlock(robo, pin: .file(pinFile.path))
        XCTAssertEqual(granted, [value])

        // Spend the rest: the TPM locks out, and then even the right PIN says how long to wait.
        for _ in 0..<(max - 1) { XCTAssertThrowsError(try unlock(robo, pin: .file(wrong.path))) }
        let interval = try lockoutProperty("TPM2_PT_LOCKOUT_INTERVAL")
        XCTAssertThrowsError(try unlock(robo, pin: .file(pinFile.path))) {
            assertCardFailure($0, "the TPM is in dictionary-attack lockout (one try comes back every \(interval) s)")
        }
    }

    private func lockoutProperty(_ name: String) throws -> Int {
        let r = try Run.process("tpm2_getcap", ["-T", tpm.tcti, "properties-variable"])
        XCTAssertEqual(r.status, 0, r.description)
        let lines = r.out.split(separator: "\n").map(String.init)
        let i = try XCTUnwrap(lines.firstIndex { $0.hasPrefix(name + ":") }, r.out)
        // `NAME: 0x3` on one line, or `NAME:` then `  raw: 0x…` for the fixed ones.
        let raw = lines[i].hasSuffix(":") ? lines[i + 1] : lines[i]
        let hex = try XCTUnwrap(raw.split(separator: ":").last?.trimmingCharacters(in: .whitespaces))
        return try XCTUnwrap(Int(hex.replacingOccurrences(of: "0x", with: ""), radix: 16), raw)
    }
}
