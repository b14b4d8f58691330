import Foundation
import TestSupport
import XCTest

/// keyrack as the age identity agent (issue 14), black-box: the built `age-plugin-keyrack` on
/// PATH, driven by independent age clients — Debian's `age` 1.1.1, the real `sops`, and pyrage
/// (the Rust age crate) — against the owner's daemon, with the simulated YubiKey doing the ECDH.
/// Card operations are counted by the simulator's own state file.
final class AgeIdentityAgentTests: XCTestCase {
    // MARK: software owner

    func testAgeAndSopsDecryptThroughTheAgentOfASoftwareOwnerAndALockedAgentSaysWhatToRun() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let owner = "ci-bot"
        try h.ok(["init", "--for", owner, "--via", "age"])
        let idFile = try identityFile(h, owner)
        let recipient = try h.ok(["identity", "--for", owner, "--recipient"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(recipient.hasPrefix("age1"), recipient)

        var files: [(URL, String)] = []
        for i in 0..<3 {
            let plain = randomSecret("file\(i)")
            let p = try h.machine.dir.write("p\(i).txt", Array(plain.utf8))
            let sealed = h.machine.dir.file("p\(i).age")
            let r = try Run.process("age", ["-r", recipient, "-o", sealed.path, p.path], environment: h.ageClientEnvironment)
            XCTAssertEqual(r.status, 0, r.description)
            files.append((sealed, plain))
        }

        // Locked: age fails with the plugin's one line naming the fix.
        let locked = try Run.process("age", ["-d", "-i", idFile.path, files[0].0.path], environment: h.ageClientEnvironment)
        XCTAssertNotEqual(locked.status, 0)
        XCTAssertTrue(locked.err.contains("keyrack identity agent of '\(owner)' is locked: run `keyrack unlock --for \(owner) --identity-agent`"), locked.err)

        let unlocked = try h.ok(["unlock", "--for", owner, "--identity-agent", "--duration", "10m"])
        XCTAssertTrue(unlocked.out.contains("identity agent of '\(owner)' unlocked for 10m with 1 identity"), unlocked.out)
        for (sealed, plain) in files {
            let r = try Run.process("age", ["-d", "-i", idFile.path, sealed.path], environment: h.ageClientEnvironment)
            XCTAssertEqual(r.status, 0, r.description)
            XCTAssertEqual(r.out, plain)
        }

        // sops 3.11: a file encrypted to the owner's recipient, the plugin identity in SOPS_AGE_KEY_FILE.
        let value = randomSecret("db")
        let plainYAML = try h.machine.dir.write("secrets.yaml", Array("db_password: \(value)\n".utf8))
        let enc = try Run.process("sops", ["--encrypt", "--age", recipient, plainYAML.path], environment: h.ageClientEnvironment)
        XCTAssertEqual(enc.status, 0, enc.description)
        XCTAssertFalse(enc.out.contains(value), "sops encrypted the value")
        let sealedYAML = try h.machine.dir.write("secrets.enc.yaml", enc.stdout)
        let dec = try Run.process("sops", ["--decrypt", sealedYAML.path], environment: h.ageClientEnvironment.merging(["SOPS_AGE_KEY_FILE": idFile.path]) { $1 })
        XCTAssertEqual(dec.status, 0, dec.description)
        XCTAssertEqual(dec.out, "db_password: \(value)\n")

        let status = try ManifestHarness.json(try h.ok(["status", "--for", owner, "--json"]))
        let agent = try XCTUnwrap(status["identityAgent"] as? [String: Any], "\(status)")
        XCTAssertEqual(agent["fileKeysUnwrapped"] as? Int, 4, "three age files and one sops file")
        XCTAssertTrue((agent["identities"] as? [String])?.first?.hasPrefix("primary (age, ") == true, "\(agent)")
        XCTAssertTrue(try h.ok(["status", "--for", owner]).out.contains("identity agent: 1 identity, expires in"))

        // Relock forgets the identities: age is refused again, and says how to fix it.
        XCTAssertTrue(try h.ok(["relock", "--for", owner]).out.contains("relocked the identity agent of '\(owner)'"))
        let again = try Run.process("age", ["-d", "-i", idFile.path, files[1].0.path], environment: h.ageClientEnvironment)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.err.contains("keyrack unlock --for \(owner) --identity-agent"), again.err)
        XCTAssertTrue(try h.ok(["status", "--for", owner]).out.contains("identity agent: locked"))
    }

    /// The agent's software identity lives in the daemon's guarded memory while unlocked and in
    /// no byte of its address space after relock, even after it unwrapped files (read as root
    /// through /proc/PID/mem, as SecretHygieneTests does for grants).
    func testRelockLeavesNoCopyOfTheIdentityInTheDaemonsMemory() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let owner = "mem-bot"
        try h.ok(["init", "--for", owner, "--via", "age"])
        let keyText = try String(contentsOf: h.machine.keyrackHome.appendingPathComponent("identities/\(owner).txt"), encoding: .utf8)
        let secret = try XCTUnwrap(keyText.split(separator: "\n").first { $0.hasPrefix("AGE-SECRET-KEY-1") }.map(String.init))
        let idFile = try identityFile(h, owner)
        let recipient = try h.ok(["identity", "--for", owner, "--recipient"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        try h.ok(["unlock", "--for", owner, "--identity-agent"])
        let plain = try h.machine.dir.write("m.txt", Array(randomSecret("m").utf8))
        let sealed = h.machine.dir.file("m.age")
        XCTAssertEqual(try Run.process("age", ["-r", recipient, "-o", sealed.path, plain.path], environment: h.ageClientEnvironment).status, 0)
        for _ in 0..<3 {
            XCTAssertEqual(try Run.process("age", ["-d", "-i", idFile.path, sealed.path], environment: h.ageClientEnvironment).stdout, try h.machine.dir.read("m.txt"))
        }
        // The 32-byte scalar, decoded by Python (independent of keyrack's Bech32).
        let decode = "import sys\nC='qpzry9x8gf2tvdw0s3jn54khce6mua7l'\ns=sys.argv[1].lower()\nv=[C.index(c) for c in s[s.rindex('1')+1:-6]]\nacc=bits=0\nout=bytearray()\nfor x in v:\n    acc=(acc<<5)|x; bits+=5\n    if bits>=8: bits-=8; out.append((acc>>bits)&255)\nprint(out.hex())"
        let hex = try Run.process("python3", ["-c", decode, secret]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(hex.count, 64, hex)
        let scalar = stride(from: 0, to: hex.count, by: 2).map { i -> UInt8 in
            UInt8(hex[hex.index(hex.startIndex, offsetBy: i)..<hex.index(hex.startIndex, offsetBy: i + 2)], radix: 16)!
        }
        let pid = try XCTUnwrap(h.daemonPID(owner))
        let held = try processMemory(of: pid, contains: scalar)
        XCTAssertTrue(held.found, "the scan did not find the held key in \(held.bytesRead) bytes: it could not catch a leak either")
        XCTAssertTrue(try h.ok(["relock", "--for", owner]).out.contains("relocked the identity agent"))
        XCTAssertTrue(h.isAlive(pid))
        for (what, needle) in [("scalar", scalar), ("AGE-SECRET-KEY-1 text", Array(secret.utf8))] {
            let after = try processMemory(of: pid, contains: needle)
            XCTAssertFalse(after.found, "a copy of the identity's \(what) survives relock in the daemon's memory (scanned \(after.bytesRead) bytes)")
        }
    }

    func testSopsAgeKeyCmdTakesTheIdentityFromAGrant() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let owner = "deployer"
        try h.ok(["init", "--for", owner, "--via", "age"])
        let keyFile = h.machine.dir.file("sops-key.txt")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", keyFile.path]).status, 0)
        let keyText = try String(contentsOf: keyFile, encoding: .utf8)
        let identity = try XCTUnwrap(keyText.split(separator: "\n").first { $0.hasPrefix("AGE-SECRET-KEY-1") }.map(String.init))
        let recipient = try Run.process("age-keygen", ["-y", keyFile.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.removeItem(at: keyFile)
        try h.ok(["set", "--for", owner, "--org", "acme", "--env", "test", "--key", "SOPS_AGE_KEY", "--vault", "os.secure"], stdin: identity)
        try h.ok(["unlock", "--for", owner, "--env", "test"])

        let value = randomSecret("api")
        let plain = try h.machine.dir.write("app.yaml", Array("api_key: \(value)\n".utf8))
        let enc = try Run.process("sops", ["--encrypt", "--age", recipient, plain.path], environment: h.ageClientEnvironment)
        XCTAssertEqual(enc.status, 0, enc.description)
        let sealed = try h.machine.dir.write("app.enc.yaml", enc.stdout)
        let command = "\(Run.keyrackBinary) get --for \(owner) --key acme.test.SOPS_AGE_KEY --value"
        let dec = try Run.process("sops", ["--decrypt", sealed.path], environment: h.ageClientEnvironment.merging(["SOPS_AGE_KEY_CMD": command]) { $1 })
        XCTAssertEqual(dec.status, 0, dec.description)
        XCTAssertEqual(dec.out, "api_key: \(value)\n")

        try h.ok(["relock", "--for", owner])
        let refused = try Run.process("sops", ["--decrypt", sealed.path], environment: h.ageClientEnvironment.merging(["SOPS_AGE_KEY_CMD": command]) { $1 })
        XCTAssertNotEqual(refused.status, 0, "the key command fails once the grant is relocked: \(refused)")
        XCTAssertFalse(refused.out.contains(value))
    }

    // MARK: YubiKey owner

    /// The tests' pcscd is Debian's (no polkit): the agent holds no card session between
    /// requests there (issue 24), so each plugin run (one per file) asks for the PIN.
    func testTenFilesInOneTTLCostTenCardECDHsAndAPINPerRequestOnAnOpenPcscd() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        var card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let s = String(card.serial)
        let pin = randomPIN()
        try h.ok(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: "123456\n\(pin)\n")
        try h.ok(["init", "--via", "yubikey", "--serial", s, "--pin-policy", "once", "--touch-policy", "never", "--pin-stdin"], stdin: "\(pin)\n")
        let idFile = try identityFile(h, "human")
        let recipient = try h.ok(["identity", "--recipient"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(recipient.hasPrefix("age1yubikey1"), "piv-p256 is the default recipient type: \(recipient)")

        var plains: [String] = []
        for i in 0..<10 {
            plains.append(randomSecret("f\(i)"))
            let p = try h.machine.dir.write("f\(i).txt", Array(plains[i].utf8))
            try h.ok(["age", "encrypt", "-r", recipient, "-o", h.machine.dir.file("f\(i).age").path, p.path])
        }
        // Out and back in: the card forgets the PIN verified at init.
        card.remove()
        card = try SimulatedCard.insert(stateFile: card.stateFile)

        let before = try card.ecdhCount()
        let unlocked = try h.ok(["unlock", "--identity-agent"])
        XCTAssertTrue(unlocked.out.contains("primary (yubikey \(s) slot 82"), unlocked.out)
        XCTAssertEqual(try card.ecdhCount(), before, "starting the agent touches no card")

        // pyrage as the client: one plugin process per file, each asking through request-secret.
        let r = try pyrage(h, """
        import pyrage, sys
        from pyrage import plugin
        class UI:
            asked = []
            def display_message(self, m): pass
            def confirm(self, m, yes, no): return True
            def request_public(self, d): return None
            def request_passphrase(self, d):
                UI.asked.append(d); return sys.argv[1]
        ids = [plugin.Identity.from_str(l.strip()) for l in open(sys.argv[2]) if l.startswith('AGE-PLUGIN-')]
        for path in sys.argv[3:]:
            p = plugin.IdentityPluginV1('keyrack', ids, UI())
            sys.stdout.write(pyrage.decrypt(open(path, 'rb').read(), [p]).decode() + '\\n')
        print('ASKED', len(UI.asked), '|'.join(UI.asked))
        """, [pin, idFile.path] + (0..<10).map { h.machine.dir.file("f\($0).age").path })
        XCTAssertEqual(r.status, 0, r.description)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(10)), plains)
        XCTAssertEqual(lines.last, "ASKED 10 " + Array(repeating: "Enter PIN for YubiKey with serial \(s) (3 tries left)", count: 10).joined(separator: "|"),
                       "one PIN entry per plugin run: nothing stays verified between requests")
        XCTAssertEqual(try card.ecdhCount() - before, 10, "one ECDH on the card per file")

        // Debian's age 1.1.1 through a terminal, after a replug: age shows its own prompt for the
        // plugin's request-secret; the next file within the TTL asks again (the card was reset).
        card.remove()
        card = try SimulatedCard.insert(stateFile: card.stateFile)
        let first = try h.ageClientTerminal(["age", "-d", "-i", idFile.path, h.machine.dir.file("f0.age").path], answers: [("Enter PIN for YubiKey with serial \(s)", pin)])
        XCTAssertEqual(first.status, 0, first.transcript)
        XCTAssertTrue(first.transcript.contains(plains[0]), first.transcript)
        XCTAssertFalse(first.transcript.contains(pin), "the PIN is not echoed")
        let second = try h.ageClientTerminal(["age", "-d", "-i", idFile.path, h.machine.dir.file("f1.age").path], answers: [("Enter PIN for YubiKey with serial \(s)", pin)])
        XCTAssertEqual(second.status, 0, second.transcript)
        XCTAssertTrue(second.transcript.contains(plains[1]), second.transcript)
        XCTAssertEqual(second.transcript.components(separatedBy: "Enter PIN").count - 1, 1, "no verified session is held: \(second.transcript)")

        // A wrong PIN is reported with the tries left and never retried; nothing is decrypted.
        card.remove()
        card = try SimulatedCard.insert(stateFile: card.stateFile)
        let ecdh = try card.ecdhCount()
        let wrong = String(pin.reversed()) == pin ? "00000000" : String(pin.reversed())
        let bad = try h.ageClientTerminal(["age", "-d", "-i", idFile.path, h.machine.dir.file("f2.age").path], answers: [("Enter PIN for YubiKey", wrong)])
        XCTAssertNotEqual(bad.status, 0, bad.transcript)
        XCTAssertTrue(bad.transcript.contains("wrong PIN (2 tries left"), bad.transcript)
        XCTAssertEqual(bad.transcript.components(separatedBy: "Enter PIN").count - 1, 1, "asked once: \(bad.transcript)")
        XCTAssertFalse(bad.transcript.contains(plains[2]))
        XCTAssertEqual(try card.ecdhCount(), ecdh, "no ECDH without the PIN")
    }

    /// The agent's card waits for a touch in the daemon, which has no terminal: after half a
    /// second the daemon's log and the desktop (through notify-send, a FAKE here) say which owner,
    /// which program (the age client, pid and executable, via the plugin) and how many files ask,
    /// in the words of unlock's prompts (issue 31).
    func testTheAgentsTouchPromptNamesTheOwnerTheAgeClientAndTheFiles() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let s = String(card.serial)
        let pin = randomPIN()
        try h.ok(["yubikey", "change-pin", "--serial", s, "--pin-stdin"], stdin: "123456\n\(pin)\n")
        try h.ok(["init", "--via", "yubikey", "--serial", s, "--pin-policy", "never", "--touch-policy", "always", "--pin-stdin"], stdin: "\(pin)\n")
        let idFile = try identityFile(h, "human")
        let recipient = try h.ok(["identity", "--recipient"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = randomSecret("touched")
        let p = try h.machine.dir.write("t.txt", Array(plain.utf8))
        let sealed = h.machine.dir.file("t.age")
        try h.ok(["age", "encrypt", "-r", recipient, "-o", sealed.path, p.path])

        // A FAKE notify-send (test double) that records its arguments in a fixed file (the daemon
        // passes on PATH and DISPLAY, not the test's other variables).
        let bin = h.machine.dir.file("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let notified = h.machine.dir.file("notify.log").path
        try "#!/bin/sh\n# FAKE notify-send for keyrack's tests: records its arguments.\nprintf '%s\\n' \"$@\" >> '\(notified)'\n"
            .write(to: bin.appendingPathComponent("notify-send"), atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(bin.appendingPathComponent("notify-send").path, 0o755), 0)
        _ = try h.keyrack(["daemon", "stop"])
        let path = bin.path + ":" + (h.ageClientEnvironment["PATH"].flatMap { $0 } ?? "/usr/bin:/bin")
        try h.ok(["unlock", "--identity-agent"], env: ["PATH": path, "DISPLAY": ":99", "WAYLAND_DISPLAY": nil])

        // The card takes 1.5 s to be "touched": long enough for the prompt (after 0.5 s).
        try "1500".write(toFile: card.stateFile + ".touch", atomically: true, encoding: .utf8)
        let age = try Run.process("age", ["-d", "-i", idFile.path, sealed.path], environment: h.ageClientEnvironment)
        XCTAssertEqual(age.status, 0, age.description)
        XCTAssertEqual(age.out, plain)
        try? FileManager.default.removeItem(atPath: card.stateFile + ".touch")

        // "touch your YubiKey (serial S, slot 82): requested by …/age (pid N) via …/age-plugin-keyrack
        // (pid M) for the identity agent of 'human', 1 file"
        let prefix = "touch your YubiKey (serial \(s), slot 82): requested by "
        let suffix = " for the identity agent of 'human', 1 file"
        func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init).filter { $0.contains(prefix) } }
        let deadline = Date().addingTimeInterval(10)
        var body: [String] = []
        while body.isEmpty, Date() < deadline {
            body = lines((try? String(contentsOfFile: notified, encoding: .utf8)) ?? "")
            if body.isEmpty { usleep(50_000) }
        }
        XCTAssertEqual(body.count, 1, "one desktop notification: \(body)")
        let text = try XCTUnwrap(body.first)
        XCTAssertTrue(text.hasPrefix(prefix) && text.hasSuffix(suffix), text)
        let who = text.dropFirst(prefix.count).dropLast(suffix.count)
        let pattern = try NSRegularExpression(pattern: "^(/\\S+/age) \\(pid [0-9]+\\) via (/\\S+/age-plugin-keyrack) \\(pid [0-9]+\\)$")
        XCTAssertNotNil(pattern.firstMatch(in: String(who), range: NSRange(location: 0, length: who.utf16.count)), "the age client and the plugin: \(who)")
        let daemonLog = try String(contentsOf: h.socketDirectory.appendingPathComponent("daemon.human.log"), encoding: .utf8)
        XCTAssertEqual(lines(daemonLog).count, 1, daemonLog)
        XCTAssertTrue(lines(daemonLog).first?.hasSuffix(text) == true, daemonLog)
        XCTAssertFalse(daemonLog.contains(plain) || daemonLog.contains(pin))
    }

    func testTagRecipientOwnerOpensItsManifestAndAnIndependentFileOnTheCard() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        let card = try SimulatedCard.insert()
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let owner = "edge-robot"
        let made = try ManifestHarness.json(try h.ok(["init", "--for", owner, "--via", "yubikey", "--serial", String(card.serial),
                                                     "--recipient-type", "tag", "--pin-stdin", "--json"], stdin: "123456\n"))
        let recipient = try XCTUnwrap(made["recipient"] as? String)
        XCTAssertTrue(recipient.hasPrefix("age1tag1"), "\(made)")
        let recorded = try String(contentsOf: h.machine.keyrackHome.appendingPathComponent("host.\(owner).recipients.yml"), encoding: .utf8)
        XCTAssertTrue(recorded.contains(recipient), "the manifest's companion records the tag form: \(recorded)")

        // The manifest itself is p256tag-wrapped and opens on the card.
        let value = randomSecret("tag")
        try h.ok(["set", "--for", owner, "--org", "acme", "--env", "prod", "--key", "TOKEN", "--vault", "os.secure"], stdin: value)
        try assertP256TagShape(try dearmored(h.machine.manifest(owner)))
        let sealed = h.machine.dir.file("k.age")
        try h.ok(["age", "encrypt", "-r", recipient, "-o", sealed.path, try h.machine.dir.write("k.txt", [1, 2, 3]).path])
        try assertP256TagShape(try dearmored(sealed))
        try h.ok(["unlock", "--for", owner, "--env", "prod"])
        XCTAssertEqual(try h.ok(["get", "--for", owner, "--key", "acme.prod.TOKEN", "--value"]).out, value)

        // A file from an independent implementation (pyrage 1.4, the Rust age crate), through the agent.
        try h.ok(["unlock", "--for", owner, "--identity-agent"])
        let idFile = try identityFile(h, owner)
        let plain = randomSecret("rust")
        let before = try card.ecdhCount()
        let r = try pyrage(h, """
        import pyrage, sys
        from pyrage import plugin, tag
        sealed = pyrage.encrypt(sys.argv[2].encode(), [tag.Recipient.from_str(sys.argv[1])])
        assert b'-> p256tag ' in sealed, sealed
        class UI:
            def display_message(self, m): pass
            def confirm(self, m, yes, no): return True
            def request_public(self, d): return None
            def request_passphrase(self, d): raise Exception('a robot is never asked for a PIN')
        ids = [plugin.Identity.from_str(l.strip()) for l in open(sys.argv[3]) if l.startswith('AGE-PLUGIN-')]
        print(pyrage.decrypt(sealed, [plugin.IdentityPluginV1('keyrack', ids, UI())]).decode())
        """, [recipient, plain, idFile.path])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertEqual(r.out, plain + "\n")

        // Clients older than age 1.3 encrypt to age1tag1… through `age-plugin-tag` (this plugin
        // under that name): Debian's age 1.1.1 and sops 3.11, decrypted on the card by the agent.
        let tagBin = h.machine.dir.file("tag-bin")
        try FileManager.default.createDirectory(at: tagBin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: tagBin.appendingPathComponent("age-plugin-tag").path,
                                                   withDestinationPath: Run.buildDirectory.appendingPathComponent("age-plugin-keyrack").path)
        var withTag = h.ageClientEnvironment
        withTag["PATH"] = tagBin.path + ":" + (withTag["PATH"]!! )
        let note = randomSecret("note")
        let notePath = try h.machine.dir.write("note.txt", Array(note.utf8))
        let noteSealed = h.machine.dir.file("note.age")
        let enc = try Run.process("age", ["-r", recipient, "-o", noteSealed.path, notePath.path], environment: withTag)
        XCTAssertEqual(enc.status, 0, enc.description)
        try assertP256TagShape(try dearmored(noteSealed))
        let dec = try Run.process("age", ["-d", "-i", idFile.path, noteSealed.path], environment: withTag)
        XCTAssertEqual(dec.status, 0, dec.description)
        XCTAssertEqual(dec.out, note)
        let yaml = try h.machine.dir.write("tag.yaml", Array("token: \(note)\n".utf8))
        let sopsEnc = try Run.process("sops", ["--encrypt", "--age", recipient, yaml.path], environment: withTag)
        XCTAssertEqual(sopsEnc.status, 0, sopsEnc.description)
        let sopsFile = try h.machine.dir.write("tag.enc.yaml", sopsEnc.stdout)
        var sopsEnv = withTag
        sopsEnv["SOPS_AGE_KEY_FILE"] = idFile.path
        let sopsDec = try Run.process("sops", ["--decrypt", sopsFile.path], environment: sopsEnv)
        XCTAssertEqual(sopsDec.status, 0, sopsDec.description)
        XCTAssertEqual(sopsDec.out, "token: \(note)\n")
        XCTAssertEqual(try card.ecdhCount() - before, 3, "pyrage's, age's and sops's files: one card ECDH each")
        let asIdentity = try Run.process("age", ["-e", "-i", idFile.path, "-o", h.machine.dir.file("x.age").path, notePath.path], environment: withTag)
        XCTAssertNotEqual(asIdentity.status, 0, "age-plugin-keyrack has no recipient side: \(asIdentity)")
        XCTAssertTrue(asIdentity.err.contains("keyrack identity --for OWNER --recipient"), asIdentity.err)

        // `yubikey setup --recipient-type tag` prints the tag form of a new key.
        let setup = try ManifestHarness.json(try h.ok(["yubikey", "setup", "--serial", String(card.serial), "--recipient-type", "tag",
                                                       "--pin-policy", "never", "--touch-policy", "never", "--pin-stdin", "--json"], stdin: "123456\n"))
        XCTAssertTrue((setup["recipient"] as? String)?.hasPrefix("age1tag1") == true, "\(setup)")
        XCTAssertEqual(setup["recipientType"] as? String, "tag")
    }

    /// Issue 28: the agent of an owner on a firmware 5.7 X25519 slot (plain `age1…` recipient)
    /// used to refuse the card's descriptor ("bad YubiKey descriptor"), so `unlock
    /// --identity-agent` exited 1. Now it starts, and Debian's age 1.1.1 decrypts a file it
    /// wrote natively (an `X25519` stanza) through age-plugin-keyrack: one PIN, one X25519 on
    /// the card; a file for another key is not the card's and costs no card operation.
    func testX25519SlotOwnerUnlocksTheAgentAndDebianAgeDecryptsThroughItWithOnePIN() throws {
        try XCTSkipIf(SimulatedCard.cardTestsDisabled, "KEYRACK_NO_CARD_TESTS=1")
        var card = try SimulatedCard.insert(version: "5.7.1")
        defer { card.remove() }
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let s = String(card.serial)
        let owner = "curve-robot"
        let made = try ManifestHarness.json(try h.ok(["init", "--for", owner, "--via", "yubikey", "--algorithm", "x25519",
                                                     "--serial", s, "--pin-policy", "once", "--touch-policy", "never",
                                                     "--pin-stdin", "--json"], stdin: "123456\n"))
        let recipient = try XCTUnwrap(made["recipient"] as? String)
        XCTAssertTrue(recipient.hasPrefix("age1") && !recipient.hasPrefix("age1yubikey1"), recipient)
        let plain = randomSecret("curve")
        let input = try h.machine.dir.write("c.txt", Array(plain.utf8))
        let sealed = h.machine.dir.file("c.age")
        let enc = try Run.process("age", ["-r", recipient, "-o", sealed.path, input.path])
        XCTAssertEqual(enc.status, 0, enc.description)
        XCTAssertTrue(try dearmored(sealed).contains("-> X25519 "), "Debian age's own stanza")
        // Out and back in: the card forgets the PIN verified at init.
        card.remove()
        card = try SimulatedCard.insert(stateFile: card.stateFile, version: "5.7.1")

        let unlocked = try h.keyrack(["unlock", "--for", owner, "--identity-agent"])
        XCTAssertEqual(unlocked.status, 0, unlocked.description)
        XCTAssertFalse(unlocked.err.contains("bad YubiKey descriptor"), unlocked.err)
        XCTAssertTrue(unlocked.out.contains("(yubikey \(s) slot 82"), unlocked.out)
        let idFile = try identityFile(h, owner)

        let before = try card.ecdhCount()
        let r = try h.ageClientTerminal(["age", "-d", "-i", idFile.path, sealed.path], answers: [("Enter PIN for YubiKey with serial \(s)", "123456")])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.transcript.contains(plain), r.transcript)
        XCTAssertEqual(r.transcript.components(separatedBy: "Enter PIN").count - 1, 1, "one PIN: \(r.transcript)")
        XCTAssertFalse(r.transcript.contains("123456"), "the PIN is not echoed")
        XCTAssertEqual(try card.ecdhCount() - before, 1, "one X25519 on the card")

        // A file for some other age key: the agent says it is not the owner's, the card is not used.
        let other = h.machine.dir.file("other.key")
        XCTAssertEqual(try Run.process("age-keygen", ["-o", other.path]).status, 0)
        let otherPub = try Run.process("age-keygen", ["-y", other.path]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let foreign = h.machine.dir.file("foreign.age")
        XCTAssertEqual(try Run.process("age", ["-r", otherPub, "-o", foreign.path, input.path]).status, 0)
        let ecdh = try card.ecdhCount()
        let miss = try h.ageClientTerminal(["age", "-d", "-i", idFile.path, foreign.path], answers: [("Enter PIN for YubiKey", "123456")])
        XCTAssertNotEqual(miss.status, 0, miss.transcript)
        XCTAssertFalse(miss.transcript.contains(plain), miss.transcript)
        XCTAssertEqual(try card.ecdhCount() - ecdh, 1, "X25519 stanzas are anonymous: one trial on the card, then not the owner's")
    }

    // MARK: the agent's reach (issue 24)

    /// The agent opens files encrypted to the owner, but not the owner's own manifest (nor a copy
    /// of it): sudo keys never unlocked stay sealed. End to end through age and the plugin.
    func testAgentRefusesTheOwnersOwnManifestAndItsCopiesButOpensOtherFiles() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let owner = "reach-bot"
        try h.ok(["init", "--for", owner, "--via", "age"])
        let root = randomSecret("root")
        try h.ok(["set", "--for", owner, "--key", "ROOT", "--env", "sudo", "--vault", "os.secure"], stdin: root)
        let idFile = try identityFile(h, owner)
        let recipient = try h.ok(["identity", "--for", owner, "--recipient"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = randomSecret("other")
        let sealed = h.machine.dir.file("other.age")
        XCTAssertEqual(try Run.process("age", ["-r", recipient, "-o", sealed.path, try h.machine.dir.write("o.txt", Array(other.utf8)).path],
                                       environment: h.ageClientEnvironment).status, 0)
        try h.ok(["unlock", "--for", owner, "--identity-agent"])

        func refused(_ file: URL, _ what: String, line: UInt = #line) throws {
            let r = try Run.process("age", ["-d", "-i", idFile.path, file.path], environment: h.ageClientEnvironment)
            print("age -d \(what) through the agent -> exit \(r.status): \(r.err)")
            XCTAssertNotEqual(r.status, 0, "\(what) opened through the agent", line: line)
            XCTAssertFalse(r.out.contains(root), what, line: line)
            XCTAssertTrue(r.err.contains("this is the manifest of '\(owner)' (keyrack wrote its header): the identity agent does not open it; read its keys with `keyrack unlock --for \(owner) --env ENV` and `keyrack get`"), "\(what): \(r.err)", line: line)
        }
        let copy = h.machine.dir.file("copy.age")
        try FileManager.default.copyItem(at: h.machine.manifest(owner), to: copy)
        try refused(copy, "a copy of the manifest")
        try refused(h.machine.manifest(owner), "the manifest itself")
        // A later set's new header, and the old copy after it: OwnManifestRefusalTests
        // testRefusesALaterVersionAndStillTheOldOne (KeyrackAppTests), in-process.

        // Anything else encrypted to the owner still opens.
        let ok = try Run.process("age", ["-d", "-i", idFile.path, sealed.path], environment: h.ageClientEnvironment)
        XCTAssertEqual(ok.status, 0, ok.description)
        XCTAssertEqual(ok.out, other)
    }

    // MARK: direnv

    func testUseKeyrackLoadsAnEnvsKeysInDirenv() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.sshOwner("human")
        let value = randomSecret("direnv")
        try h.ok(["set", "--org", "acme", "--env", "test", "--key", "API_TOKEN", "--vault", "os.secure"], stdin: value)
        try h.ok(["unlock", "--env", "test"])
        let config = h.machine.dir.file("direnv-config")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        let lib = Run.packageRoot.appendingPathComponent("contrib/direnv/use_keyrack.sh").path
        try Data("source \(lib)\n".utf8).write(to: config.appendingPathComponent("direnvrc"))
        let project = h.machine.dir.file("project")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try Data("use keyrack --env test --key API_TOKEN\n".utf8).write(to: project.appendingPathComponent(".envrc"))

        var e = h.ageClientEnvironment
        e["DIRENV_CONFIG"] = config.path
        e["XDG_DATA_HOME"] = h.machine.dir.file("direnv-data").path
        XCTAssertEqual(try Run.process("direnv", ["allow", project.path], environment: e).status, 0)
        let r = try Run.process("direnv", ["exec", project.path, "sh", "-c", "printf %s \"$API_TOKEN\""], environment: e)
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertEqual(r.out, value)

        try h.ok(["relock"])
        let locked = try Run.process("direnv", ["exec", project.path, "sh", "-c", "printf %s \"${API_TOKEN-unset}\""], environment: e)
        XCTAssertEqual(locked.out, "unset", locked.description)
        XCTAssertTrue(locked.err.contains("keyrack unlock --env test"), "keyrack's own message reaches the user: \(locked.err)")
    }

    // MARK: helpers

    /// `keyrack identity` written to a file, checked to hold no secret.
    private func identityFile(_ h: DaemonHarness, _ owner: String) throws -> URL {
        let text = try h.ok(["identity", "--for", owner]).out
        XCTAssertTrue(text.contains("AGE-PLUGIN-KEYRACK-1"), text)
        XCTAssertFalse(text.contains("AGE-SECRET-KEY"), "the plugin identity holds no secret")
        return try h.machine.dir.write("identity-\(owner).txt", Array(text.utf8))
    }

    private func pyrage(_ h: DaemonHarness, _ script: String, _ arguments: [String]) throws -> RunResult {
        let file = try h.machine.dir.write("client-\(UUID().uuidString.prefix(6)).py", Array(script.utf8))
        let python = ProcessInfo.processInfo.environment["KEYRACK_VENV"].map { $0 + "/bin/python3" } ?? "python3"
        return try Run.process(python, [file.path] + arguments, environment: h.ageClientEnvironment)
    }

    /// A p256tag stanza exactly as C2SP age.md writes it: B64(4 bytes), B64(65 bytes), 32-byte body.
    private func assertP256TagShape(_ file: String, line: UInt = #line) throws {
        let lines = file.split(separator: "\n").map(String.init)
        let i = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("-> p256tag ") }, file, line: line)
        let args = lines[i].split(separator: " ").dropFirst(2).map(String.init)
        XCTAssertEqual(args.map(\.count), [6, 87], lines[i], line: line)
        XCTAssertTrue(args[1].hasPrefix("B"), "an uncompressed point starts 0x04: \(lines[i])", line: line)
        XCTAssertEqual(lines[i + 1].count, 43, "32-byte body", line: line)
        XCTAssertFalse(file.contains("-> piv-p256 "), "the tag owner's manifest has no piv-p256 stanza", line: line)
    }
}
