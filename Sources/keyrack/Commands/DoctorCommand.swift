import ArgumentParser
import KeyrackApp
import KeyrackClient

/// `keyrack doctor`: checks what an owner's unlock depends on — pcscd, the card and its slot,
/// factory secrets, file modes, the daemon, `op` and `aws` — and prints, for each check that fails, the
/// command that fixes it. Exit 0 when everything passes, 1 otherwise, so scripts can gate on it.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check an owner's set-up (card, PINs, file modes, daemon) and say how to fix what is wrong.",
        discussion: """
        Checks: pcscd reachable; readers and cards seen; the owner's YubiKey present with the \
        recorded key in its slot; factory PIN, PUK or management key still set; modes of \
        KEYRACK_HOME (0700), manifests and os.direct files (0600) and the daemon's runtime \
        directory (0700) and socket (0600); the owner's daemon answering; `op` on PATH when the \
        owner has 1password keys, the AWS CLI v2 when it has aws.params or aws.config keys. Never asks for a PIN or a touch. Exit 0 when all pass, 1 otherwise.
        """)

    @OptionGroup var options: OwnerOptions

    func run() throws {
        let checks = DoctorChecks(owner: options.owner).all()
        options.answer(DoctorJSON(owner: options.owner, checks: checks)) {
            print("keyrack doctor for '\(options.owner)':")
            for c in checks {
                let mark = c.status == .pass ? "ok  " : c.status == .fail ? "FAIL" : c.status == .warn ? "warn" : "skip"
                print("  [\(mark)] \(c.name): \(c.detail)")
                if c.status == .fail || c.status == .warn, let fix = c.fix { print("         fix: \(fix.cli)") }
            }
            print(DoctorChecks.healthy(checks) ? "all checks passed" : "\(checks.filter { $0.status == .fail }.count) check(s) failed")
        }
        if !DoctorChecks.healthy(checks) { throw ExitCode(ExitStatus.failure) }
    }
}
