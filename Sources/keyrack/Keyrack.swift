import ArgumentParser
import KeyrackHelp
import AgeErrorReport  // AgeError as the catch below reports it
import KeyrackApp
import KeyrackDaemon
import PIV
import KeyrackClient

/// The root command. Each subcommand lives in its own file under Commands/.
@main
struct Keyrack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyrack",
        abstract: "A hardware-token-first credential rack for humans and robots sharing one machine.",
        discussion: Help.keyrack,
        version: "0.1.0",
        subcommands: [
            AgeCommand.self,
            UnlockCommand.self,
            IdentityCommand.self,
            GetCommand.self,
            ExecCommand.self,
            SourceCommand.self,
            InjectCommand.self,
            RelockCommand.self,
            AuditCommand.self,
            StatusCommand.self,
            DaemonCommand.self,
            SandboxCommand.self,
            InitCommand.self,
            SetCommand.self,
            SetDefaultCommand.self,
            ListCommand.self,
            DelCommand.self,
            MigrateCommand.self,
            FirewallCommand.self,
            FillCommand.self,
            RecipientCommand.self,
            YubiKeyCommand.self,
            DoctorCommand.self,
        ]
    )

    /// Runs the command and turns every error into one line on stderr and a documented exit
    /// code, plus one JSON object on stdout when the command line has `--json` (ErrorReport).
    /// ArgumentParser's usage errors (exit 64 by default) become exit 2, as docs/cli.md says.
    static func main() {
        // Before parsing: every command may come to hold a manifest, a value, a PIN or a key.
        Hardening.protectProcess()
        // The PIV layer learns from the one rule whether a verified PIN may outlive its use.
        PINRetentionPolicy.tell { PcscdAccess.pinRetention }
        let json = ErrorReport.wantsJSON(CommandLine.arguments.dropFirst())
        do {
            if let unlock = UnlockFastPath.parse(Array(CommandLine.arguments.dropFirst())) { return try unlock.run() }
            var command = try parseAsRoot()
            try command.run()
        } catch let reportable as CLIReportable {
            let report = ErrorReport(reportable)
            report.emit(json: json)
            Terminal.exit(report.exit)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Terminal.exit(ExitStatus.ok)
            }
            let exit = code == .validationFailure ? ExitStatus.usage : code.rawValue
            // A command that throws ExitCode has reported already (doctor's --json report): no second object.
            if json && !(error is ExitCode) {
                // The short message (no usage block); the fix is the help of the command that failed.
                var report = ErrorReport(line: Self.message(for: error), exit: exit)
                report.fix = usageHint(in: message)
                Output.line(report.json)
            }
            if !message.isEmpty { Terminal.printErrorLines(message) }
            Terminal.exit(exit)
        }
    }

    /// `keyrack get --help` out of ArgumentParser's "See 'keyrack get --help' for more details."
    private static func usageHint(in message: String) -> String? {
        guard let start = message.range(of: "See '"), let end = message[start.upperBound...].firstIndex(of: "'") else { return nil }
        return String(message[start.upperBound..<end])
    }
}
