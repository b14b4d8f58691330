import Foundation
import TestSupport
import XCTest

/// `keyrack unlock` for owners whose primary recipient is a YubiKey (issues 3 and 6), black-box
/// against the simulated card: one ECDH per unlock whatever the number of keys, the PIN read from
/// a real pseudo-terminal and never retried, the backup ssh/age recipients when the card is away
/// (or with `--using`), and a card pulled out mid-unlock. Card operations are counted by the
/// simulator itself (its state file), not by keyrack. Run inside scripts/with-simulated-yubikey.
final class YubiKeyUnlockTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
    }

    // MARK: one card operation per unlock: KeyrackAppTests/Unlock/YubiKeyOwnerUnlockTests.swift, in-process; get costs none (below)

    // MARK: --identity with the card's identity file: KeyrackAppTests/Unlock/YubiKeyOwnerUnlockTests.swift, in-process

    // MARK: a person's PIN, typed at a terminal

    func testHumanPINOnceFromTerminalWrongPINReportsTriesAndIsNeverRetried() throws {
        var card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let s = String(card.serial)
        /// Out and back in: the card forgets a verified PIN and a cached touch, as a YubiKey does.
        func replug() throws {
            card.remove()
            card = try SimulatedCard.insert(stateFile: card.stateFile)
            XCTAssertEqual(String(card.serial), s)
        }
        let pin = randomPIN()
        try h.ok(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: "123456\n\(pin)\n")
        try h.ok(["init", "--via", "yubikey", "--serial", s, "--pin-stdin"], stdin: "\(pin)\n")
        let list = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try h.ok(["yubikey", "list", "--json"]).stdout)) as? [[String: Any]])
        let slot = try XCTUnwrap((list.first { $0["serial"] as? Int == Int(card.serial) }?["slots"] as? [[String: Any]])?.first)
        XCTAssertEqual(slot["pinPolicy"] as? String, "once", "a human's default PIN policy")
        XCTAssertEqual(slot["touchPolicy"] as? String, "cached", "a human's default touch policy")

        // PIN policy once on the tests' pcscd (no polkit, open to every user): keyrack resets the
        // card after each use (issue 24), so the next command asks again; with a polkit pcscd it
        // would find the card verified (Tests/PIVTests/PINRetentionTests.swift).
        let values = ["GITHUB_TOKEN": randomSecret("gh"), "NPM_TOKEN": randomSecret("npm")]
        let first = try h.terminal(["set", "--key", "GITHUB_TOKEN", "--env", "prod", "--org", "acme", "--vault", "os.secure"],
                                 answers: [("value for", values["GITHUB_TOKEN"]!), ("Enter PIN", pin)])
        XCTAssertEqual(first.status, 0, first.transcript)
        let second = try h.terminal(["set", "--key", "NPM_TOKEN", "--env", "prod", "--org", "acme", "--vault", "os.secure"],
                                  answers: [("value for", values["NPM_TOKEN"]!), ("Enter PIN", pin)])
        XCTAssertEqual(second.status, 0, second.transcript)
        XCTAssertEqual(second.transcript.components(separatedBy: "Enter PIN").count - 1, 1,
                       "PIN policy once on an open pcscd: asked again, the card was reset: \(second.transcript)")

        // Right PIN after a replug: asked once, one ECDH, one touch, both keys unlocked.
        try replug()
        var (ecdh, touches) = (try card.ecdhCount(), try card.touchCount())
        let ok = try h.terminal(["unlock", "--env", "prod"], answers: [("Enter PIN", pin)])
        XCTAssertEqual(ok.status, 0, ok.transcript)
        XCTAssertEqual(ok.transcript.components(separatedBy: "Enter PIN").count - 1, 1, "the PIN is asked once: \(ok.transcript)")
        XCTAssertTrue(ok.transcript.contains("Enter PIN for YubiKey with serial \(s)"), ok.transcript)
        // Above the prompt, who asks: the program that ran keyrack (the terminal harness runs
        // it under setsid) and the command (issue 31).
        XCTAssertTrue(ok.transcript.range(of: #"keyrack: a PIN is requested by /\S+ \(pid \d+\) via keyrack unlock"#, options: .regularExpression) != nil, ok.transcript)
        XCTAssertFalse(ok.transcript.contains(pin), "the PIN is not echoed")
        XCTAssertEqual(try card.touchCount() - touches, 1, "touch policy cached: one touch for the unlock")
        XCTAssertTrue(ok.transcript.contains("unlocked 2 key(s) of 'human' with recipient primary (yubikey"), ok.transcript)
        for (key, value) in values {
            XCTAssertEqual(try h.ok(["get", "--key", "acme.prod.\(key)", "--value"]).out, value)
        }
        XCTAssertEqual(try card.ecdhCount() - ecdh, 1, "one ECDH for the unlock; get touches the daemon only")
        try h.ok(["relock"])

        // Wrong PIN: tries left reported, exit 5, asked once (a second prompt would go unanswered
        // and time out), no ECDH, nothing unlocked.
        try replug()
        (ecdh, touches) = (try card.ecdhCount(), try card.touchCount())
        let wrong = String(pin.reversed()) == pin ? "00000000" : String(pin.reversed())
        let bad = try h.terminal(["unlock", "--env", "prod"], answers: [("Enter PIN", wrong)], timeout: 45)
        XCTAssertEqual(bad.status, 5, bad.transcript)
        XCTAssertTrue(bad.transcript.contains("wrong PIN (2 tries left"), bad.transcript)
        XCTAssertEqual(bad.transcript.components(separatedBy: "Enter PIN").count - 1, 1, "never retried: \(bad.transcript)")
        XCTAssertFalse(bad.transcript.contains(wrong), "the PIN is neither echoed nor in the error")
        XCTAssertEqual(try card.ecdhCount(), ecdh, "no ECDH without the PIN")
        XCTAssertEqual(try card.touchCount(), touches)
        try assertHoldsNothing(h, owner: nil, slugs: values.keys.map { "acme.prod.\($0)" })

        // With a backup ssh key on this machine, a wrong PIN still ends the unlock: the card is
        // here and refused, so no passphrase is asked (it would go unanswered) and nothing opens.
        let backup = try passphraseSSHKey(h, "backup_human")
        let add = try h.terminal(["recipient", "add", "--pubkey", backup.key.path + ".pub", "--label", "laptop-ssh"], answers: [("Enter PIN", pin)])
        XCTAssertEqual(add.status, 0, add.transcript)
        try replug()
        ecdh = try card.ecdhCount()
        let again = try h.terminal(["unlock", "--env", "prod"], answers: [("Enter PIN", wrong)], timeout: 45)
        XCTAssertEqual(again.status, 5, again.transcript)
        XCTAssertTrue(again.transcript.contains("wrong PIN (2 tries left"), "the right PIN in between reset the counter: \(again.transcript)")
        XCTAssertFalse(again.transcript.contains("passphrase for ssh key"), "no fallback after a wrong PIN: \(again.transcript)")
        XCTAssertEqual(try card.ecdhCount(), ecdh)
        try assertHoldsNothing(h, owner: nil, slugs: values.keys.map { "acme.prod.\($0)" })
    }

    // MARK: backup recipients: KeyrackAppTests/Unlock/YubiKeyOwnerUnlockTests.swift, in-process

    // MARK: the card leaves mid-unlock

    func testCardPulledMidUnlockIsExitFiveEvenWithABackupAndUnlocksNothing() throws {
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let owner = "touch-bot"
        try initYubiKeyOwner(h, owner, card: card, touch: "always")
        let slugs = ["acme.test.ONE", "acme.test.TWO"]
        for slug in slugs {
            try h.ok(["set", "--for", owner, "--key", String(slug.split(separator: ".")[2]), "--env", "test", "--org", "acme", "--vault", "os.secure"],
                     stdin: randomSecret())
        }
        // A backup that WOULD open the manifest: a fallback after the card left would show up
        // as a passphrase prompt, left unanswered, and the run would time out.
        let backup = try passphraseSSHKey(h, "backup_touch")
        try h.ok(["recipient", "add", "--for", owner, "--pubkey", backup.key.path + ".pub", "--label", "laptop-ssh"])
        let before = try h.machine.snapshot()

        try card.setTouch("30000")
        let requested = touchRequests(card)
        let finished = DispatchSemaphore(value: 0)
        let outcome = Box<Result<TerminalRun.Result, Error>>()
        Thread.detachNewThread { [self] in
            outcome.value = Result { try h.terminal(["unlock", "--for", owner, "--env", "test"], answers: [], timeout: 60) }
            finished.signal()
        }
        // Poll (deadline) for the card to start waiting for the touch, then pull it out.
        let deadline = Date().addingTimeInterval(30)
        while touchRequests(card) == requested && Date() < deadline { usleep(20_000) }
        XCTAssertGreaterThan(touchRequests(card), requested, "unlock never reached the touch: \(card.logFile)")
        card.remove()
        XCTAssertEqual(finished.wait(timeout: .now() + 90), .success, "unlock did not return after the card was pulled")
        let r = try XCTUnwrap(outcome.value).get()
        XCTAssertEqual(r.status, 5, r.transcript)
        XCTAssertTrue(r.transcript.contains("YubiKey \(card.serial) was removed") && r.transcript.contains("plug it back in"), r.transcript)
        XCTAssertFalse(r.transcript.contains("passphrase for ssh key"), "a card that left mid-operation is not a missing card: \(r.transcript)")
        XCTAssertFalse(r.transcript.contains("unlocked "), r.transcript)
        XCTAssertEqual(try h.machine.snapshot(), before, "nothing written")
        try assertHoldsNothing(h, owner: owner, slugs: slugs)
    }

    // MARK: helpers

    /// `init --for OWNER --via yubikey` on `card` with the robot policies (PIN never) unless told.
    private func initYubiKeyOwner(_ h: DaemonHarness, _ owner: String, card: SimulatedCard, touch: String = "never") throws {
        let made = try ManifestHarness.json(try h.ok(["init", "--for", owner, "--via", "yubikey", "--serial", String(card.serial),
                                                     "--touch-policy", touch, "--pin-stdin", "--json"], stdin: "123456\n"))
        XCTAssertTrue((made["recipient"] as? String)?.hasPrefix("age1yubikey1") == true, "\(made)")
    }

    /// A passphrase-protected ed25519 key made now by the real ssh-keygen.
    private func passphraseSSHKey(_ h: DaemonHarness, _ name: String) throws -> (key: URL, passphrase: String) {
        let key = h.machine.home.appendingPathComponent(".ssh/\(name)")
        let passphrase = "pp-" + randomSecret(name)
        let r = try Run.process("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", key.path])
        XCTAssertEqual(r.status, 0, r.description)
        return (key, passphrase)
    }


    /// The owner's daemon holds none of `slugs`: `get` says locked (exit 3) and status lists none.
    private func assertHoldsNothing(_ h: DaemonHarness, owner: String?, slugs: [String], line: UInt = #line) throws {
        let forOwner = owner.map { ["--for", $0] } ?? []
        for slug in slugs {
            let r = try h.keyrack(["get"] + forOwner + ["--key", slug, "--value"])
            XCTAssertEqual(r.status, 3, "\(slug): \(r)", line: line)
        }
        let status = try h.keyrack(["status"] + forOwner + ["--json"])
        for slug in slugs { XCTAssertFalse(status.out.contains(slug), "\(slug) held: \(status)", line: line) }
    }

    /// How many times the simulator was asked for a touch (its log, non-secret events only).
    private func touchRequests(_ card: SimulatedCard) -> Int {
        ((try? String(contentsOfFile: card.logFile, encoding: .utf8)) ?? "").components(separatedBy: "touch requested").count - 1
    }
}

/// A value handed from the thread that ran a command back to the test (read after a semaphore).
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
