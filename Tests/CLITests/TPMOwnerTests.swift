import Foundation
import TestSupport
import XCTest

/// Issue 30: owners on a TPM 2.0 (`init --via tpm`), end to end through the built binaries,
/// against a real software TPM (Debian's swtpm, a fresh one per test, reached through libtss2's
/// swtpm TCTI named by KEYRACK_TPM_TCTI).
final class TPMOwnerTests: XCTestCase {
    var tpm: SoftwareTPM!

    override func setUpWithError() throws {
        tpm = try SoftwareTPM()
        // Set in this process, so every child (keyrack, the daemon, terminal runs) reaches this swtpm.
        setenv("KEYRACK_TPM_TCTI", tpm.tcti, 1)
    }

    override func tearDown() {
        unsetenv("KEYRACK_TPM_TCTI")
        tpm?.stop()
    }

    func testATPMOwnerInitsSetsUnlocksAndGetsWithOneECDHAndItsIdentityFileIsPrivate() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let made = try ManifestHarness.json(try h.ok(["init", "--for", "server-robot", "--via", "tpm", "--json"]))
        let recipient = try XCTUnwrap(made["recipient"] as? String)
        XCTAssertTrue(recipient.hasPrefix("age1tag1"), "\(made)")
        XCTAssertEqual(made["via"] as? String, "tpm")
        let idPath = try XCTUnwrap(made["identity"] as? String)
        XCTAssertEqual(idPath, h.machine.keyrackHome.appendingPathComponent("identities/server-robot.tpm.txt").path)
        var st = stat()
        XCTAssertEqual(stat(idPath, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600, "the identity file is the owner's alone")
        let idText = try String(contentsOfFile: idPath, encoding: .utf8)
        XCTAssertTrue(idText.contains("\nAGE-PLUGIN-TPM-1"), idText)
        XCTAssertTrue(idText.contains("# Recipient: \(recipient)"), idText)
        XCTAssertTrue(idText.contains("# TCTI: \(tpm.tcti)"), idText)

        let value = randomSecret("tpm")
        try h.ok(["set", "--for", "server-robot", "--org", "acme", "--env", "prod", "--key", "TOKEN", "--vault", "os.secure"], stdin: value)
        let manifest = try dearmored(h.machine.keyrackHome.appendingPathComponent("host.server-robot.yml.age"))
        XCTAssertTrue(manifest.contains("\n-> p256tag "), manifest)
        XCTAssertEqual(manifest.components(separatedBy: "\n-> ").count - 1, 1, "one stanza: the TPM key's")
        XCTAssertFalse(manifest.contains(value))

        try h.ok(["unlock", "--for", "server-robot", "--env", "prod"])
        XCTAssertEqual(try h.ok(["get", "--for", "server-robot", "--key", "acme.prod.TOKEN", "--value"]).out, value)
        try h.ok(["relock", "--for", "server-robot"])

        // No lock-in: our age and plain `age -d` (through age-plugin-tpm, ours) open the manifest
        // with the identity file, the ECDH on this TPM.
        let manifestPath = h.machine.keyrackHome.appendingPathComponent("host.server-robot.yml.age").path
        let opened = try h.ok(["age", "decrypt", "-i", idPath, manifestPath])
        XCTAssertTrue(opened.out.contains("acme.prod.TOKEN"), opened.out)
        let plain = try Run.process("age", ["-d", "-i", idPath, manifestPath], environment: try pluginEnvironment(h))
        XCTAssertEqual(plain.status, 0, plain.description)
        XCTAssertTrue(plain.out.contains(value), "the os.secure value is in the decrypted manifest")

        // Readable by others: refused, with the fix, before the TPM is asked.
        XCTAssertEqual(chmod(idPath, 0o644), 0)
        let loose = try h.keyrack(["unlock", "--for", "server-robot", "--env", "prod"])
        XCTAssertEqual(loose.status, 2, "\(loose)")
        XCTAssertTrue(loose.err.contains("has mode 644, open to others: run `chmod 600 \(idPath)`"), loose.err)
        XCTAssertEqual(chmod(idPath, 0o600), 0)

        // A second run of init changes nothing.
        let again = try ManifestHarness.json(try h.ok(["init", "--for", "server-robot", "--via", "tpm", "--json"]))
        XCTAssertEqual(again["effect"] as? String, "already-initialised")
        XCTAssertEqual(try String(contentsOfFile: idPath, encoding: .utf8), idText)
    }

    func testTheTPMKilledAtTheECDHIsOneLineExit5AndNothingGranted() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.ok(["init", "--for", "cut", "--via", "tpm"])
        try h.ok(["set", "--for", "cut", "--org", "acme", "--env", "test", "--key", "K", "--vault", "os.secure"], stdin: "v")
        // A relay between keyrack and swtpm (its command port, and its control port one above, which
        // the swtpm TCTI uses too) that, when the ECDH_ZGen command arrives, marks it, kills the TPM
        // (SIGKILL) and drops the connection: the TPM lost in the middle of the unlock.
        let relay = try h.machine.dir.write("relay.py", Array("""
        import os, signal, socket, sys, threading
        tpm_port, tpm_pid, port_file, marker = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
        def listen_pair():
            while True:
                a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
                b = socket.socket()
                try:
                    b.bind(("127.0.0.1", p + 1))
                except OSError:
                    a.close(); b.close(); continue
                a.listen(4); b.listen(4)
                return p, a, b
        def pipe(src, dst):
            try:
                while True:
                    data = src.recv(4096)
                    if not data: break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                src.close(); dst.close()
        def control(server):
            while True:
                c, _ = server.accept()
                t = socket.create_connection(("127.0.0.1", tpm_port + 1))
                threading.Thread(target=pipe, args=(c, t), daemon=True).start()
                threading.Thread(target=pipe, args=(t, c), daemon=True).start()
        port, commands, controls = listen_pair()
        threading.Thread(target=control, args=(controls,), daemon=True).start()
        open(port_file + ".tmp", "w").write(str(port)); os.rename(port_file + ".tmp", port_file)
        while True:
            client, _ = commands.accept()
            tpm = socket.create_connection(("127.0.0.1", tpm_port))
            while True:
                header = client.recv(10, socket.MSG_WAITALL)
                if len(header) < 10: break
                size = int.from_bytes(header[2:6], "big")
                body = client.recv(size - 10, socket.MSG_WAITALL) if size > 10 else b""
                if header[6:10] == bytes([0, 0, 1, 0x54]):
                    open(marker, "w").close()
                    os.kill(tpm_pid, signal.SIGKILL)
                    os._exit(0)
                tpm.sendall(header + body)
                rh = tpm.recv(10, socket.MSG_WAITALL)
                rb = tpm.recv(int.from_bytes(rh[2:6], "big") - 10, socket.MSG_WAITALL)
                client.sendall(rh + rb)
            client.close(); tpm.close()
        """.utf8))
        let portFile = h.machine.dir.file("relay.port"), marker = h.machine.dir.file("relay.saw-ecdh")
        let proxy = try Spawned("/usr/bin/python3", [relay.path, String(tpm.port), String(try XCTUnwrap(tpm.pid)), portFile.path, marker.path])
        defer { proxy.terminate(); proxy.waitForExit() }
        var port: String?
        while port == nil && proxy.isRunning {
            port = try? String(contentsOf: portFile, encoding: .utf8)
            if port == nil { poll(nil, 0, 5) }   // until the relay listens (it writes the file after listen)
        }
        let relayed = "swtpm:host=127.0.0.1,port=\(try XCTUnwrap(port))"
        let r = try h.keyrack(["unlock", "--for", "cut", "--env", "test"], env: ["KEYRACK_TPM_TCTI": relayed])
        XCTAssertEqual(r.status, 5, "\(r)")
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        XCTAssertTrue(r.err.hasPrefix("error: cannot talk to the TPM at \(relayed) (ECDH_ZGen: "), r.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker.path), "the unlock got as far as the ECDH_ZGen when the TPM died")
        XCTAssertEqual(try h.keyrack(["get", "--for", "cut", "--key", "acme.test.K", "--value"]).status, 3, "nothing granted")
    }

    func testPlainAgeEncryptsToTheTPMRecipientThroughOurPlugins() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let made = try ManifestHarness.json(try h.ok(["init", "--for", "ci", "--via", "tpm", "--json"]))
        let recipient = try XCTUnwrap(made["recipient"] as? String)
        let idPath = try XCTUnwrap(made["identity"] as? String)
        // Debian's age 1.1.1 predates native p256tag: it encrypts through `age-plugin-tag` (our
        // plugin under that name), software only, and decrypts the identity file's
        // AGE-PLUGIN-TPM-1… line through `age-plugin-tpm` (our plugin again: ECDH on the TPM).
        let env = try pluginEnvironment(h)
        let note = randomSecret("note")
        let notePath = try h.machine.dir.write("note.txt", Array(note.utf8))
        let sealed = h.machine.dir.file("note.age")
        let enc = try Run.process("age", ["-r", recipient, "-o", sealed.path, notePath.path], environment: env)
        XCTAssertEqual(enc.status, 0, enc.description)
        XCTAssertTrue(try dearmored(sealed).contains("\n-> p256tag "))
        XCTAssertEqual(try h.ok(["age", "decrypt", "-i", idPath, sealed.path]).out, note)
        let dec = try Run.process("age", ["-d", "-i", idPath, sealed.path], environment: env)
        XCTAssertEqual(dec.status, 0, dec.description)
        XCTAssertEqual(dec.out, note)
        // The same identity file on another machine's TPM opens nothing.
        let other = try SoftwareTPM()
        defer { other.stop() }
        var elsewhere = env
        elsewhere["KEYRACK_TPM_TCTI"] = other.tcti
        let refused = try Run.process("age", ["-d", "-i", idPath, sealed.path], environment: elsewhere)
        XCTAssertNotEqual(refused.status, 0, refused.description)
        XCTAssertTrue(refused.err.contains("the sealed key belongs to another TPM"), refused.err)
        XCTAssertFalse(refused.out.contains(note))
        // pyrage's p256tag file opening on the TPM: TPMTests/PyrageTagTests.
    }

    func testDoctorSaysTheTPMIsReachableTheOwnersKeyLoadsAndTheLockoutState() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        try h.ok(["init", "--for", "doc", "--via", "tpm"])
        func checks(_ env: [String: String?] = [:]) throws -> [String: (status: String, detail: String)] {
            let r = try h.keyrack(["doctor", "--for", "doc", "--json"], env: env)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any], r.description)
            let list = try XCTUnwrap(object["checks"] as? [[String: Any]])
            return Dictionary(list.map { (($0["name"] as? String) ?? "", (($0["status"] as? String) ?? "", ($0["detail"] as? String) ?? "")) },
                              uniquingKeysWith: { a, _ in a })
        }
        let here = try checks()
        XCTAssertEqual(here["tpm"]?.status, "pass", "\(here)")
        XCTAssertTrue(here["tpm"]?.detail.contains("TPM 2.0 at \(tpm.tcti): manufacturer IBM") == true, "\(here)")
        XCTAssertEqual(here["owner's TPM key"]?.status, "pass", "\(here)")
        XCTAssertEqual(here["tpm lockout"]?.status, "pass", "\(here)")
        XCTAssertTrue(here["tpm lockout"]?.detail.hasPrefix("0 of 3 failed tries counted") == true, "\(here)")

        let other = try SoftwareTPM()
        defer { other.stop() }
        let elsewhere = try checks(["KEYRACK_TPM_TCTI": other.tcti])
        XCTAssertEqual(elsewhere["owner's TPM key"]?.status, "fail", "\(elsewhere)")
        XCTAssertTrue(elsewhere["owner's TPM key"]?.detail.contains("belongs to another TPM") == true, "\(elsewhere)")
        let none = try checks(["KEYRACK_TPM_TCTI": "device:/dev/keyrack-no-such-tpm"])
        XCTAssertEqual(none["tpm"]?.status, "fail", "\(none)")
        XCTAssertEqual(none["tpm"]?.detail, "no TPM 2.0 found at device:/dev/keyrack-no-such-tpm")
    }

    func testAUserOutsideGroupTssIsToldSoByDoctorAndUnlock() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let user = try h.makeUser()
        // The user's own home, runtime directory and KEYRACK_HOME (keyrack refuses anyone else's).
        let home = URL(fileURLWithPath: "/tmp/krt-home-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: home) }
        for dir in [home, home.appendingPathComponent("run")] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            XCTAssertEqual(chown(dir.path, user.uid, user.gid), 0)
        }
        var env: [String: String?] = ["HOME": home.path, "KEYRACK_HOME": home.appendingPathComponent("kr").path,
                                      "XDG_RUNTIME_DIR": home.appendingPathComponent("run").path, "KEYRACK_TPM_TCTI": tpm.tcti]
        let made = try h.keyrackAs(user, ["init", "--for", "tss-robot", "--via", "tpm"], env: env)
        XCTAssertEqual(made.status, 0, made.description)
        // A TPM device the user may not open, as /dev/tpmrm0 (root:tss 0660) is to a user outside tss.
        let device = URL(fileURLWithPath: "/tmp/krt-tpmrm-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: device) }
        XCTAssertTrue(FileManager.default.createFile(atPath: device.path, contents: nil, attributes: [.posixPermissions: 0o660]))
        env["KEYRACK_TPM_TCTI"] = "device:" + device.path
        let doctor = try h.keyrackAs(user, ["doctor", "--for", "tss-robot", "--json"], env: env)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(doctor.stdout)) as? [String: Any], doctor.description)
        let check = try XCTUnwrap((object["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "tpm" }, doctor.out)
        XCTAssertEqual(check["status"] as? String, "fail", "\(check)")
        XCTAssertEqual(check["detail"] as? String, "permission denied opening the TPM \(device.path)")
        XCTAssertTrue((check["fix"] as? String)?.contains("usermod -aG tss") == true, "\(check)")
        let unlock = try h.keyrackAs(user, ["unlock", "--for", "tss-robot", "--env", "test"], env: env)
        XCTAssertEqual(unlock.status, 5, unlock.description)
        XCTAssertTrue(unlock.err.contains("permission denied opening the TPM \(device.path): add the user to group tss"), unlock.err)
    }

    func testTheIdentityAgentDecryptsForAgeClientsWithOnePINPerTTL() throws {
        let h = try DaemonHarness()
        defer { h.tearDown() }
        let owner = "agent-robot"
        let pin = "tpm-" + String(UInt32.random(in: 100_000...999_999))
        let made = try ManifestHarness.json(try h.ok(["init", "--for", owner, "--via", "tpm", "--pin-policy", "once", "--pin-stdin", "--json"], stdin: "\(pin)\n"))
        let recipient = try XCTUnwrap(made["recipient"] as? String)
        let unlocked = try h.ok(["unlock", "--for", owner, "--identity-agent", "--duration", "10m"])
        XCTAssertTrue(unlocked.out.contains("(tpm, "), unlocked.out)
        let idFile = try h.machine.dir.write("identity-\(owner).txt", Array(try h.ok(["identity", "--for", owner]).out.utf8))
        let plains = [randomSecret("one"), randomSecret("two")]
        var sealed: [URL] = []
        for (i, plain) in plains.enumerated() {
            let url = h.machine.dir.file("f\(i).age")
            let input = try h.machine.dir.write("f\(i).txt", Array(plain.utf8)).path
            if i == 0 {
                try h.ok(["age", "encrypt", "-r", recipient, "-o", url.path, input])
            } else {
                // Debian's age 1.1.1, through age-plugin-tag.
                let enc = try Run.process("age", ["-r", recipient, "-o", url.path, input], environment: try pluginEnvironment(h))
                XCTAssertEqual(enc.status, 0, enc.description)
            }
            sealed.append(url)
        }
        // age asks for the PIN once (through age-plugin-keyrack, relayed from the daemon)...
        let first = try h.ageClientTerminal(["age", "-d", "-i", idFile.path, sealed[0].path], answers: [("Enter the TPM PIN", pin)])
        XCTAssertEqual(first.status, 0, first.transcript)
        XCTAssertTrue(first.transcript.contains(plains[0]), first.transcript)
        XCTAssertTrue(first.transcript.contains("Enter the TPM PIN (3 tries left before the TPM locks out)"), first.transcript)
        // ...and the daemon holds it for the agent's TTL.
        let second = try h.ageClientTerminal(["age", "-d", "-i", idFile.path, sealed[1].path], answers: [])
        XCTAssertEqual(second.status, 0, second.transcript)
        XCTAssertTrue(second.transcript.contains(plains[1]), second.transcript)
        XCTAssertFalse(second.transcript.contains("Enter the TPM PIN"), second.transcript)
        // Relock forgets the PIN and the identity.
        try h.ok(["relock", "--for", owner])
        let locked = try h.ageClientTerminal(["age", "-d", "-i", idFile.path, sealed[1].path], answers: [])
        XCTAssertNotEqual(locked.status, 0, locked.transcript)
        XCTAssertFalse(locked.transcript.contains(plains[1]))
    }

    // MARK: helpers

    /// The environment for Debian's age: our plugin as `age-plugin-tag` and `age-plugin-tpm` on
    /// PATH (an absolute directory: age refuses plugins found through a relative PATH entry).
    private func pluginEnvironment(_ h: DaemonHarness) throws -> [String: String?] {
        let bin = h.machine.dir.file("plugin-bin")
        if !FileManager.default.fileExists(atPath: bin.path) {
            try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
            for name in ["age-plugin-tag", "age-plugin-tpm"] {
                try FileManager.default.createSymbolicLink(atPath: bin.appendingPathComponent(name).path,
                                                           withDestinationPath: Run.buildDirectory.appendingPathComponent("age-plugin-keyrack").path)
            }
        }
        var env = h.machine.environment
        env["PATH"] = bin.path + ":" + (env["PATH"]!!)
        return env
    }
}
