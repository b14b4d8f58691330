import AgeFormat
import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackCore
#if canImport(Glibc)
import Glibc
import KeyrackNames
import KeyrackClient
#endif

/// KeyrackCore's errors as the CLI reports them (docs/cli.md, "Exit codes"): bad input is a usage error
/// (exit 2), a card problem exit 5, everything else (wrong identity, damaged file) exit 1.
extension KeyrackError: CLIReportable {
    public var cliMessage: String { cardFailure?.cliMessage ?? "error: \(cliLine.text)" }
    public var fixCommand: String? { cardFailure?.fixCommand ?? cliLine.fix }

    /// The problem, then the remedy in keyrack's own commands (KeyrackError.Remedy+CLI).
    var cliLine: ErrorLine { remedy.map { "\(problem): \(line: $0.cliLine)" } ?? ErrorLine(text: problem, fix: nil) }
    public var exitCode: Int32 {
        switch kind {
        case .usage: return ExitStatus.usage
        case .card: return ExitStatus.card
        case .wrongIdentity, .damaged, .failure: return ExitStatus.failure
        }
    }
    public var errorCode: String {
        switch kind {
        case .wrongIdentity: return "wrong-identity"
        case .damaged: return "damaged"
        default: return ErrorReport.code(forExit: exitCode)
        }
    }
}

/// What the manifest commands share: the store, terminal interaction, identities, values.
enum ManifestCLI {
    static func store() throws -> HostManifestStore { try HostManifestStore.fromEnvironment() }

    static func owner(_ options: OwnerOptions) throws -> OwnerName { try OwnerName(options.owner) }

    /// Passphrases and PINs from the terminal without echo; notices on stderr.
    static let interaction = TerminalInteraction.live

    /// What opens `owner`'s manifest: `--identity` files, else KEYRACK_IDENTITY or
    /// KEYRACK_IDENTITY_FD (IdentityEnvironment), else the recorded recipients (`only` one kind
    /// with `unlock --using`), tried by ManifestIdentities' one rule. `cardInteraction` answers
    /// the recorded recipients' prompts (unlock's `--pin-file` supplies the PIN there).
    static func identities(_ owner: OwnerName, store: HostManifestStore, paths: [String], only kind: Via? = nil,
                           cardInteraction: Interaction = ManifestCLI.interaction) throws -> ManifestIdentities {
        try OwnerIdentities.resolve(owner, store: store, paths: paths, only: kind, interaction: cardInteraction)
    }

    /// The directory keyrack was started in: where the repository's `.agent/keyrack.yml` is looked for.
    static var currentDirectory: URL { URL(fileURLWithPath: FileManager.default.currentDirectoryPath) }

    /// The user's home directory, for `~` in paths.
    static var userHome: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory())
    }

    /// A value for os.secure / os.direct: typed on the terminal without echo, or all of stdin
    /// when stdin is not a terminal (a pipe, a file): never from argv.
    static func readValue(for slug: Slug) throws -> [UInt8] {
        if isatty(STDIN_FILENO) == 1 {
            return try SecretPrompt.readFromTerminal(prompt: "value for \(slug) (not echoed): ", what: "value of \(slug)")
        }
        return SecretPrompt.readAllOfStdin()
    }

    /// Runs a typed parse in `validate()`, turning its error into ArgumentParser's usage error.
    static func check(_ body: () throws -> Void) throws {
        do { try body() } catch let error as KeyrackError { throw ValidationError(error.message) }
    }

    /// An OpenBao address given to `set` or `set-default`, refused on one line (exit 2) when it is
    /// not one keyrack would connect to: plain http off this machine above all. Called first in
    /// `run()`: ArgumentParser puts whatever `validate()` throws under a usage block, so
    /// `validate()` leaves a refused address to `run()` (`refusesOpenBaoAddress`).
    static func checkOpenBaoAddress(_ address: String?) throws {
        guard let address else { return }
        do { try OpenBaoSettings.validateToStore(addr: address) } catch let error as KeyrackError { throw UsageError(error.message) }
    }

    static func refusesOpenBaoAddress(_ address: String?) -> Bool {
        (try? checkOpenBaoAddress(address)) == nil
    }

    /// Prints a JSON value (dictionaries and arrays of strings, numbers, bools, nulls) on stdout,
    /// as every `--json` answer is printed (JSONLine: one line, keys sorted).
    static func printJSON(_ value: Any) throws {
        JSONLine.print(JSONValue(any: value))
    }

    /// What `list` shows as a key's vault: the vault, or for openbao its reference
    /// (`openbao:secret/robots/seaturtle#token`), never a value.
    static func source(of entry: KeyEntry) -> String {
        guard entry.vault == .openBao, let exid = entry.exid, let ref = try? OpenBaoReference(parsing: exid) else { return entry.vault.rawValue }
        return ref.display + (entry.addr.map { " @ \($0)" } ?? "")
    }

    /// A path as given, made absolute against the current directory (so unlock finds it from anywhere).
    static func absolutePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Left-aligned columns for human tables.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.first?.count else { return "" }
        let widths = (0..<width).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in c == width - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Options of the commands that open an owner's manifest.
struct IdentityOptions: ParsableArguments {
    @Option(name: .customLong("identity"), help: ArgumentHelp(
        "An identity that opens the owner's manifest (ssh private key or age identity file); repeatable. Default: the identities recorded at init.",
        valueName: "path"))
    var paths: [String] = []

    @Flag(help: "Read the YubiKey PIN from the first line of stdin instead of the terminal (a script on an owner whose slot has PIN policy once).")
    var pinStdin = false

    @Option(help: ArgumentHelp("Read the YubiKey PIN from the first line of this file, which must be yours and mode 0600.", valueName: "path"))
    var pinFile: String?

    func validate() throws {
        if pinStdin && pinFile != nil { throw ValidationError("give --pin-stdin or --pin-file, not both") }
    }

    /// How card prompts are answered: the PIN from --pin-file or --pin-stdin (as `unlock` takes
    /// it), else the terminal. Read only when asked, so a manifest that needs no PIN reads nothing.
    func cardInteraction() -> Interaction {
        PINSource.terminal(pinStdin ? .stdin : pinFile.map(PINInput.file) ?? .terminal).interaction
    }
}
