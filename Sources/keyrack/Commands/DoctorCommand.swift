import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackClient
import KeyrackPresentation

/// `keyrack doctor`: checks what an owner's unlock depends on — pcscd, the card and its slot,
/// factory secrets, file modes, the daemon, `op` and `aws` — and prints, for each check that fails, the
/// command that fixes it. Exit 0 when everything passes, 1 otherwise, so scripts can gate on it.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check an owner's set-up (card, PINs, file modes, daemon) and say how to fix what is wrong.",
        discussion: Help.doctor)

    @OptionGroup var options: OwnerOptions

    func run() throws {
        let checks = DoctorChecks(owner: options.owner).all()
        options.answer(DoctorJSON(owner: options.owner, checks: checks)) { DoctorChecks.lines(owner: options.owner, checks: checks).forEach { print($0) } }
        if !DoctorChecks.healthy(checks) { throw ExitCode(ExitStatus.failure) }
    }
}
