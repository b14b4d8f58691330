import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackCore
import KeyrackDaemon
import KeyrackNames
import KeyrackClient

/// `keyrack audit`: the owner's access log, written by its daemon (which process took which
/// key, when; never a value). `audit verify` checks that nobody rewrote it. See docs/audit.md.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show or verify an owner's access log (who took which key, when).",
        discussion: """
        The owner's daemon appends one JSON line per event to $KEYRACK_HOME/audit/OWNER.jsonl: \
        unlock, get (each key, granted or why not), relock, expiry, denials, identity-agent \
        unwraps, sandbox starts, stop, with the requester as the kernel knows it (uid, pid, \
        executable, argv[0], parent, cgroup, sandbox, git root). Never a value or a PIN. Each \
        line carries the SHA-256 of the one before; checkpoints sign the chain. See docs/audit.md.
        """,
        subcommands: [AuditShowCommand.self, AuditVerifyCommand.self],
        defaultSubcommand: AuditShowCommand.self
    )
}

struct AuditShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the access log's records.")

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("Only records of the last DURATION (e.g. 30m, 2h, 7d).", valueName: "duration"))
    var since: String?

    @Option(help: ArgumentHelp("Only records naming this key (a name or a slug).", valueName: "key"))
    var key: String?

    func validate() throws {
        if let since, DurationGrammar.seconds(since) == nil { throw ValidationError("invalid --since '\(since.prefix(40))': \(DurationGrammar.hint)") }
    }

    func run() throws {
        let files = try AuditSources.files(owner: options.owner)
        let cutoff = since.flatMap(DurationGrammar.seconds).map { Date().addingTimeInterval(-Double($0)) }
        let records = AuditRecords.filter(AuditRecords.records(files.log), since: cutoff, key: key)
        if options.json {
            for r in records { try ManifestCLI.printJSON(r) }
        } else {
            for r in records { Output.line(AuditRecords.describe(r)) }
        }
    }
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the access log's hash chain, checkpoints and anchor; exit 1 naming the first bad record.")

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("The checkpoint public key (hex) the signatures must be made with.", valueName: "hex"))
    var key: String?

    @Flag(help: "Open the owner's manifest (as unlock does: an identity, or the card) and require every checkpoint to be signed with the key it holds.")
    var manifest = false

    func run() throws {
        let files = try AuditSources.files(owner: options.owner)
        var expected = key
        if manifest {
            let owner = try options.ownerName()
            let store = try HostManifestStore.fromEnvironment()
            expected = try AuditSources.manifestCheckpointKey(owner: owner, store: store, identities: try OwnerIdentities.resolve(
                owner, store: store, paths: [], only: nil, interaction: TerminalInteraction.live))
        }
        let report = AuditVerifier.verify(log: files.log, anchor: files.anchor, owner: options.owner, expectedKey: expected)
        let answer = AuditVerifyJSON(owner: options.owner, report: report, files: files)
        if options.json {
            JSONLine.print(answer)
        } else if report.ok {
            Output.line("\(files.path): \(report.records) records, chain intact; \(report.checkpoints) checkpoint(s), \(report.signedCheckpoints) signed\(expected != nil ? " with the owner's key" : "")")
        }
        if let error = answer.error {
            if !options.json { Terminal.printError("error: \(error.message)") }
            throw ExitCode(error.exit)
        }
    }
}
