import Foundation
import TestSupport
import XCTest

/// Bad input: each case its own clear message, exit 2, and not one byte under KEYRACK_HOME
/// changed.
final class ManifestBadInputTests: XCTestCase {
    private func assertRefused(_ h: ManifestHarness, _ args: [String], stdin: String = "", mentions: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try h.snapshot()
        let r = try h.keyrack(args, stdin: stdin)
        XCTAssertEqual(r.status, 2, "keyrack \(args.joined(separator: " "))\n\(r)", file: file, line: line)
        XCTAssertTrue(r.err.contains(mentions), "expected '\(mentions)' in: \(r.err)", file: file, line: line)
        XCTAssertEqual(r.out, "", file: file, line: line)
        XCTAssertFalse(r.err.contains("s3cr3t"), "a value leaked into an error", file: file, line: line)
        XCTAssertEqual(try h.snapshot(), before, "keyrack \(args.joined(separator: " ")) changed a file", file: file, line: line)
    }

    func testEachBadInputHasItsOwnErrorAndTouchesNothing() throws {
        let h = try ManifestHarness()
        let key = try h.sshKey("id_ed25519_seaturtle")
        try h.ok(["init", "--for", "seaturtle", "--via", "ssh", "--pubkey", key.path + ".pub"])
        let set = ["--key", "GITHUB_TOKEN", "--env", "sudo", "--vault", "os.secure"]

        for owner in ["../x", "", "A", "a/b", "x.y", "-x", String(repeating: "a", count: 64)] {
            // A value starting with '-' must be attached, or it would read as an option.
            let flag = owner.hasPrefix("-") ? ["--for=\(owner)"] : ["--for", owner]
            try assertRefused(h, ["set"] + flag + set, stdin: "s3cr3t", mentions: "invalid owner name")
            try assertRefused(h, ["init"] + flag + ["--via", "age"], mentions: "invalid owner name")
        }
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K", "--env", "Prod", "--vault", "os.envvar"], mentions: "invalid env 'Prod'")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K", "--env", "pr.od", "--vault", "os.envvar"], mentions: "invalid env 'pr.od'")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "BAD KEY", "--env", "sudo", "--vault", "os.envvar"], mentions: "invalid key name 'BAD KEY'")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K..X", "--env", "sudo", "--vault", "os.envvar"], mentions: "invalid key name")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K", "--env", "sudo", "--vault", "os.bogus"], mentions: "'os.bogus' is invalid for '--vault <vault>'")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K", "--env", "sudo", "--vault", "os.envvar", "--max-duration", "30x"], mentions: "invalid duration '30x'")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K", "--env", "sudo", "--vault", "os.envvar", "--max-duration", "0m"], mentions: "invalid duration")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K", "--env", "sudo", "--vault", "os.envvar", "--mech", "MAGIC"], mentions: "'MAGIC' is invalid for '--mech <mech>'")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K", "--env", "prod", "--vault", "os.envvar"], mentions: "pass --org")
        try assertRefused(h, ["set", "--for", "seaturtle", "--key", "K", "--env", "sudo", "--vault", "os.secure"], stdin: "", mentions: "empty value")
        // An owner that was never initialised.
        try assertRefused(h, ["set", "--for", "ghost"] + set, stdin: "s3cr3t", mentions: "keyrack init --for ghost")
        try assertRefused(h, ["list", "--for", "ghost"], mentions: "keyrack init --for ghost")
        try assertRefused(h, ["del", "--for", "ghost", "--key", "K", "--env", "sudo"], mentions: "keyrack init --for ghost")
        try assertRefused(h, ["identity", "--for", "ghost"], mentions: "keyrack init --for ghost")
        // status and relock narrow to an env under the one env rule (EnvFilterOption).
        try assertRefused(h, ["status", "--for", "seaturtle", "--env", "Prod"], mentions: "invalid --env 'Prod'")
        try assertRefused(h, ["relock", "--for", "seaturtle", "--env", "pr.od"], mentions: "invalid --env 'pr.od'")
        // Public keys that cannot be read or are of a type keyrack does not take.
        try assertRefused(h, ["init", "--for", "nokey", "--via", "ssh", "--pubkey", h.dir.file("absent.pub").path], mentions: "does not exist")
        try assertRefused(h, ["init", "--for", "nokey", "--via", "ssh", "--pubkey", h.dir.path], mentions: "cannot read public key file")
        try assertRefused(h, ["init", "--for", "nokey", "--via", "ssh"], mentions: "no usable ssh key in \(h.home.path)/.ssh (looked for id_ed25519.pub, id_rsa.pub)")
        let ecdsa = try h.sshKey("id_ecdsa", type: "ecdsa")
        try assertRefused(h, ["init", "--for", "nokey", "--via", "ssh", "--pubkey", ecdsa.path + ".pub"], mentions: "unsupported public key type ecdsa-sha2-nistp256")
        let notAKey = try h.dir.write("notakey.pub", Array("hello world\n".utf8))
        try assertRefused(h, ["init", "--for", "nokey", "--via", "ssh", "--pubkey", notAKey.path], mentions: "unsupported public key type hello")
        let sshForAge = try h.dir.write("ssh-as-age.pub", try h.dir.read("home/.ssh/id_ed25519_seaturtle.pub"))
        try assertRefused(h, ["init", "--for", "nokey", "--via", "age", "--pubkey", sshForAge.path], mentions: "unsupported public key type")
        try assertRefused(h, ["init", "--for", "nokey", "--via", "carrier-pigeon"], mentions: "'carrier-pigeon' is invalid for '--via <via>'")
        try assertRefused(h, ["recipient", "add", "--for", "seaturtle", "--label", "x", "--pubkey", "ecdsa-sha2-nistp256 AAAA"], mentions: "SSH key type ecdsa-sha2-nistp256 is not supported")
        try assertRefused(h, ["recipient", "add", "--for", "seaturtle", "--label", "Bad Label", "--pubkey", "age1x"], mentions: "invalid label")
    }
}
