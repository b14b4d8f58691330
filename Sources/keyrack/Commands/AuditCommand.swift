import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackNames
import KeyrackPresentation

/// `keyrack audit`: the owner's access log, written by its daemon (which process took which
/// key, when; never a value). `audit verify` checks that nobody rewrote it. See docs/audit.md.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show or verify an owner's access log (who took which key, when).",
        discussion: Help.audit,
        subcommands: [AuditShowCommand.self, AuditVerifyCommand.self, AuditAnchorCommand.self],
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
        let records = AuditShow.records(files, filter: AuditShow.Filter(sinceSeconds: since.flatMap(DurationGrammar.seconds), key: key))
        for r in records { options.json ? JSONLine.print(r) : Output.line(AuditShow.describe(r)) }
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

    @Option(help: ArgumentHelp("The owner's card public key (PEM, as `yubikey setup --slot 9a` prints it) every card checkpoint must be signed with.", valueName: "file"))
    var cardKey: String?

    func run() throws {
        let request = AuditVerify.Request(owner: options.owner, checkpointKey: key, cardKeyFile: cardKey, fromManifest: manifest)
        let outcome = try AuditVerify.run(request, terminal: LiveTerminal())
        let report = outcome.report
        if options.json {
            JSONLine.print(outcome.json)
        } else if report.ok {
            Output.line(outcome.line)
        }
        if let error = outcome.json.error {
            if !options.json { Terminal.printError("error: \(error.message)") }
            throw ExitCode(error.exit)
        }
    }
}

struct AuditAnchorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anchor",
        abstract: "Have a YubiKey slot or the owner's TPM sign the access log's head at each unlock (its public key goes into the encrypted manifest).",
        discussion: Help.auditAnchor)

    @OptionGroup var options: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    @Option(help: ArgumentHelp("The PIV slot whose P-256 key signs (9a, 9c, 9d, 9e or 82–95; default 9a).", valueName: "slot"))
    var slot: String?

    @Option(help: ArgumentHelp("What signs: yubikey or tpm (default: tpm for a TPM owner, else yubikey).", valueName: "via"))
    var via: String?

    @Option(help: ArgumentHelp("The YubiKey's serial, when several are plugged in.", valueName: "serial"))
    var serial: UInt32?

    func run() throws {
        let request = AuditAnchor.Request(owner: try options.ownerName(), via: via, slot: slot, serial: serial, identityPaths: identity.paths)
        let anchored: (signer: AuditAnchor.Signer, json: AuditAnchorJSON)
        do {
            anchored = try AuditAnchor.run(request, store: try HostManifestStore.fromEnvironment(), terminal: PINSource.terminal(identity.pin.input))
        } catch let error as AuditAnchorError {
            throw ValidationError(error.cliText)
        }
        options.answer(anchored.json) { Output.line(anchored.json.line(signer: anchored.signer)) }
    }
}
