import Foundation
import TestSupport
import XCTest

/// What every keyrack-cli command pays before its own work (issue 32): the libraries the dynamic
/// loader maps, and fixed set-up in the age payload, are only paid by the commands that use them.
final class StartupCostTests: XCTestCase {
    private var dir: TempDirectory!

    override func setUpWithError() throws { dir = try TempDirectory("startup") }
    override func tearDown() { dir.remove() }

    /// libtss2 and libykpiv are loaded when a TPM or card command first calls into them
    /// (Sources/CLibraryLoader), and libcrypto when an age payload of a full 64 KiB chunk or an
    /// ssh-rsa key first needs it (Sources/CLibcryptoDeferred), not named in keyrack-cli's
    /// DT_NEEDED, which the loader maps and binds (BIND_NOW) before every command: `--version`
    /// here loads none of them.
    func testCardAndTPMLibrariesAreNotLoadedAtStartUp() throws {
        let elf = try Run.process("readelf", ["-d", Run.keyrackCLIBinary])
        XCTAssertEqual(elf.status, 0, "\(elf)")
        XCTAssertTrue(elf.out.contains("(NEEDED)"), "readelf shows keyrack-cli's libraries; without them this check sees nothing: \(elf.out)")
        for library in ["libtss2", "libykpiv", "libcrypto"] {
            XCTAssertFalse(elf.out.contains(library), "keyrack-cli names \(library) in DT_NEEDED:\n\(elf.out)")
        }
        // The loader's own account of what it mapped (its log goes to stderr).
        let run = try Run.process(Run.keyrackCLIBinary, ["--version"], environment: ["LD_DEBUG": "files"])
        XCTAssertEqual(run.status, 0, "\(run)")
        XCTAssertTrue(run.err.contains("libsodium"), "LD_DEBUG=files lists what is loaded; without it this check sees nothing: \(run.err)")
        for library in ["libtss2", "libykpiv", "libcrypto"] {
            XCTAssertFalse(run.err.contains(library), "`keyrack-cli --version` loaded \(library):\n\(run.err)")
        }
    }

    /// The front end hands every command but `get` and `age` to keyrack-cli from its entry point,
    /// before its own Swift runtime starts (Sources/CFrontRoute). The runtime says when it starts:
    /// SWIFT_DEBUG_HELP makes it print its variables once per process. `keyrack --version`
    /// then prints them once (keyrack-cli's runtime), where front end and keyrack-cli printed
    /// them twice; `get`, which the front end answers itself, shows the variable works there.
    func testTheFrontEndHandsOnBeforeItsSwiftRuntimeStarts() throws {
        let help = "Swift runtime debugging:"
        let env: [String: String?] = ["SWIFT_DEBUG_HELP": "YES", "HOME": dir.path, "KEYRACK_HOME": dir.file("kr").path]
        let version = try Run.process(Run.keyrackBinary, ["--version"], environment: env)
        XCTAssertEqual(version.status, 0, "\(version)")
        XCTAssertEqual(version.err.components(separatedBy: help).count - 1, 1, "one runtime started, keyrack-cli's: \(version.err.prefix(300))")
        let get = try Run.process(Run.keyrackBinary, ["get", "--for", "nobody", "--key", "X", "--value"], environment: env)
        XCTAssertEqual(get.status, 3, "\(get)")
        XCTAssertEqual(get.err.components(separatedBy: help).count - 1, 1, "the front end's own runtime answers get: \(get.err.prefix(300))")
    }

    /// ... and before glibc's start, whose `cpuid` probing traps in a virtual machine (0.84 ms
    /// from the front end's exec to keyrack-cli's here, 0.09 ms routed at the entry point): the
    /// executable's entry is the router, which then enters glibc's `_start` for `get` and `age`.
    func testTheFrontEndRoutesFromItsEntryPointAheadOfGlibc() throws {
        let header = try Run.process("readelf", ["-h", Run.keyrackBinary])
        XCTAssertEqual(header.status, 0, "\(header)")
        let entry = header.out.split(separator: "\n").first { $0.contains("Entry point address:") }?.split(separator: " ").last
        let symbols = try Run.process("nm", [Run.keyrackBinary])
        XCTAssertEqual(symbols.status, 0, "\(symbols)")
        let router = symbols.out.split(separator: "\n").first { $0.hasSuffix(" T keyrack_front_entry") }?.split(separator: " ").first
        XCTAssertNotNil(router, "the front end has no keyrack_front_entry")
        XCTAssertEqual(entry.map { UInt64($0.dropFirst(2), radix: 16) }, router.map { UInt64($0, radix: 16) },
                       "the front end's entry point is not its router (readelf: \(entry ?? "none"))")
        // Entered from there, both ways still work: handed on, and answered by the front end.
        let env: [String: String?] = ["HOME": dir.path, "KEYRACK_HOME": dir.file("kr").path]
        XCTAssertEqual(try Run.process(Run.keyrackBinary, ["--version"], environment: env).status, 0)
        let get = try Run.process(Run.keyrackBinary, ["get", "--for", "nobody", "--key", "X", "--value"], environment: env)
        XCTAssertEqual(get.status, 3, "\(get)")
        XCTAssertTrue(get.err.contains("'nobody' has no key X"), "\(get.err)")
    }

    /// `unlock` reads its manifest whole: one of many 64 KiB chunks (here about 3.8 MB, three
    /// keys of 930 KB, past the 2 MiB where libcrypto took over before) has them opened by
    /// swift-crypto's BoringSSL (ChunkCipher+BoringSSL), so libcrypto is not loaded at all (its
    /// load and first fetch were a fifth of a 1 000-key unlock, 2 ms of a 10 000-key one), and
    /// the value comes back whole.
    func testUnlockOfAManifestOfSeveralChunksLoadsNoLibcrypto() throws {
        let run = dir.file("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let env: [String: String?] = ["HOME": dir.path, "KEYRACK_HOME": dir.file("kr").path, "XDG_RUNTIME_DIR": run.path]
        XCTAssertEqual(try Run.process(Run.keyrackBinary, ["init", "--for", "bigbot", "--via", "age"], environment: env).status, 0)
        // Each under the daemon's 1 MiB a value.
        let values = (1...3).map { _ in Data(randomBytes(700_000)).base64EncodedString() }
        for (i, value) in values.enumerated() {
            let set = try Run.process(Run.keyrackBinary, ["set", "--for", "bigbot", "--org", "acme", "--env", "test", "--key", "BIG\(i)", "--vault", "os.secure"],
                                      stdin: Array(value.utf8), environment: env)
            XCTAssertEqual(set.status, 0, "\(set)")
        }
        defer { _ = try? Run.process(Run.keyrackBinary, ["daemon", "stop", "--for", "bigbot"], environment: env) }
        let manifest = try FileManager.default.attributesOfItem(atPath: dir.file("kr/host.bigbot.yml.age").path)[.size] as? Int ?? 0
        XCTAssertGreaterThan(manifest, 2 << 20, "the manifest spans many full chunks, past 2 MiB")
        var traced = env
        traced["LD_DEBUG"] = "files"
        let unlock = try Run.process(Run.keyrackBinary, ["unlock", "--for", "bigbot", "--env", "test"], environment: traced)
        XCTAssertEqual(unlock.status, 0, "\(unlock.err.suffix(400))")
        XCTAssertTrue(unlock.err.contains("libsodium"), "LD_DEBUG=files lists what is loaded; without it this check sees nothing")
        XCTAssertFalse(unlock.err.contains("libcrypto"), "unlock loaded libcrypto for a manifest read whole")
        let got = try Run.process(Run.keyrackBinary, ["get", "--for", "bigbot", "--key", "acme.test.BIG2", "--value"], environment: env)
        XCTAssertEqual(got.status, 0, "\(got)")
        XCTAssertTrue(got.out.trimmingCharacters(in: .newlines) == values[2], "the value came back other than it was set")
    }

    /// A deferred library that cannot be loaded is reported when a command first needs it, in
    /// one line that names it and the package to install (exit 1), instead of the loader's
    /// refusal to start any command at all.
    func testMissingTPMLibraryIsNamedWhenFirstNeeded() throws {
        let libraries = dir.file("lib")
        try FileManager.default.createDirectory(at: libraries, withIntermediateDirectories: false)
        _ = try dir.write("lib/libtss2-tctildr.so.0", [])  // found first on LD_LIBRARY_PATH, and no library
        let env: [String: String?] = ["LD_LIBRARY_PATH": libraries.path, "HOME": dir.path, "KEYRACK_HOME": dir.file("kr").path,
                                      "KEYRACK_TPM_TCTI": "swtpm:host=127.0.0.1,port=1"]
        XCTAssertEqual(try Run.process(Run.keyrackCLIBinary, ["--version"], environment: env).status, 0, "a command that needs no TPM still runs")
        let r = try Run.process(Run.keyrackCLIBinary, ["init", "--for", "tpmbot", "--via", "tpm"], environment: env)
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertTrue(r.err.hasPrefix("error: cannot load Tss2_TctiLdr_Initialize from libtss2-tctildr.so.0 ("), r.err)
        XCTAssertTrue(r.err.hasSuffix("install the package libtss2-tctildr0 (Debian; scripts/install-deps installs it)\n"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
    }

    /// libcrypto, loaded on first use, is found and used when a payload reaches a full chunk
    /// (keyrack-cli seals and opens 150 KiB that age opens and sealed), and a libcrypto that
    /// cannot be loaded is one line naming it and its package (exit 1), not a crash.
    func testLibcryptoIsLoadedWhenAFullChunkFirstNeedsIt() throws {
        let key = dir.file("key.txt").path
        XCTAssertEqual(try Run.process("age-keygen", ["-o", key]).status, 0)
        let recipient = try Run.process("age-keygen", ["-y", key]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let big = randomBytes(150 * 1024)
        let made = try Run.process(Run.keyrackCLIBinary, ["age", "encrypt", "-r", recipient], stdin: big, environment: ["LD_DEBUG": "files"])
        XCTAssertEqual(made.status, 0, "\(made.err.suffix(400))")
        XCTAssertTrue(made.err.contains("libcrypto.so.3"), "the loader's log names libcrypto once a full chunk is sealed")
        let check = try Run.process("age", ["-d", "-i", key], stdin: made.stdout)
        XCTAssertTrue(check.status == 0 && check.stdout == big, "age did not open keyrack-cli's file: \(check.err)")
        let sealed = try Run.process("age", ["-r", recipient], stdin: big)
        let opened = try Run.process(Run.keyrackCLIBinary, ["age", "decrypt", "-i", key], stdin: sealed.stdout)
        XCTAssertTrue(opened.status == 0 && opened.stdout == big, "\(opened.err)")

        let libraries = dir.file("lib")
        try FileManager.default.createDirectory(at: libraries, withIntermediateDirectories: false)
        _ = try dir.write("lib/libcrypto.so.3", [])  // found first on LD_LIBRARY_PATH, and no library
        let env: [String: String?] = ["LD_LIBRARY_PATH": libraries.path]
        XCTAssertEqual(try Run.process(Run.keyrackCLIBinary, ["--version"], environment: env).status, 0, "a command that needs no libcrypto still runs")
        let r = try Run.process(Run.keyrackCLIBinary, ["age", "decrypt", "-i", key], stdin: sealed.stdout, environment: env)
        XCTAssertEqual(r.status, 1, "\(r.err)")
        XCTAssertTrue(r.err.hasPrefix("error: cannot load EVP_"), r.err)
        XCTAssertTrue(r.err.contains(" from libcrypto.so.3 ("), r.err)
        XCTAssertTrue(r.err.hasSuffix("install the package libssl3 (Debian; scripts/install-deps installs it)\n"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        XCTAssertTrue(r.stdout.isEmpty, "nothing of the payload is written before libcrypto opens its first chunk")
    }

    /// A payload shorter than one 64 KiB chunk (a manifest) is opened and sealed without
    /// libcrypto: its first cipher fetch sets up OpenSSL's provider and reads openssl.cnf, a fixed
    /// ~1.4 ms on every `unlock`. An OpenSSL configuration that cannot load (OpenSSL then fetches
    /// no cipher) shows it: both age binaries still encrypt and decrypt a short file under it.
    func testShortPayloadNeedsNoOpenSSLSetUp() throws {
        let key = dir.file("key.txt").path
        XCTAssertEqual(try Run.process("age-keygen", ["-o", key]).status, 0)
        let recipient = try Run.process("age-keygen", ["-y", key]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let unloadable = try dir.write("openssl.cnf", Array("""
            config_diagnostics = 1
            openssl_conf = init
            [init]
            providers = providers
            [providers]
            absent = absent
            [absent]
            activate = 1

            """.utf8)).path
        let broken: [String: String?] = ["OPENSSL_CONF": unloadable]
        let plain = randomBytes(1000)
        let sealed = try Run.process("age", ["-r", recipient], stdin: plain)
        XCTAssertEqual(sealed.status, 0, "\(sealed)")

        // keyrack-cli, and the front end (which hands age decrypt|encrypt to keyrack-age).
        for binary in [Run.keyrackCLIBinary, Run.keyrackBinary] {
            let opened = try Run.process(binary, ["age", "decrypt", "-i", key], stdin: sealed.stdout, environment: broken)
            XCTAssertEqual(opened.status, 0, "\(binary): \(opened)")
            XCTAssertTrue(opened.stdout == plain, "\(binary) decrypted something else")
            let made = try Run.process(binary, ["age", "encrypt", "-r", recipient], stdin: plain, environment: broken)
            XCTAssertEqual(made.status, 0, "\(binary): \(made)")
            let check = try Run.process("age", ["-d", "-i", key], stdin: made.stdout)
            XCTAssertEqual(check.status, 0, "\(check)")
            XCTAssertTrue(check.stdout == plain, "age decrypted something else from \(binary)'s file")
        }
        // The witness: the configuration does stop libcrypto (a full chunk goes to it).
        let big = randomBytes(2 * 65536)
        let bigSealed = try Run.process("age", ["-r", recipient], stdin: big)
        let refused = try Run.process(Run.keyrackCLIBinary, ["age", "decrypt", "-i", key], stdin: bigSealed.stdout, environment: broken)
        XCTAssertNotEqual(refused.status, 0, "libcrypto fetched a cipher under the unloadable configuration: this test proves nothing")
        let opened = try Run.process(Run.keyrackCLIBinary, ["age", "decrypt", "-i", key], stdin: bigSealed.stdout)
        XCTAssertEqual(opened.status, 0, "\(opened)")
        XCTAssertTrue(opened.stdout == big)
    }
}
