import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackOpenBao
import TestSupport
import XCTest
import KeyrackNames

/// The unlock use case's world in-process, shared by the tests that drive it against real
/// servers and tokens: the real store in a temporary KEYRACK_HOME, the fakes of Fakes.swift,
/// and the steps the CLI would take (init an owner, set a key, set-default, unlock) as calls.
/// What a CLI test read from stdout/stderr is read here from values: the grants the daemon got,
/// the events (a key that stayed locked and why), the error and its exit code.
final class UnlockBench {
    let dir: TempDirectory
    let store: HostManifestStore
    let terminal = FakeTerminal()
    var daemon = FakeDaemon()
    var events: [UnlockEvent] = []

    init(_ label: String) throws {
        dir = try TempDirectory(label)
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
    }

    func remove() { dir.remove() }

    /// `init --for NAME` (an age owner unless `spec` says otherwise); `pin` answers the card's PIN.
    @discardableResult
    func owner(_ name: String, _ spec: RecipientSpec = .age(AgeRecipientSpec(postQuantum: false)), pin: String? = nil) throws -> OwnerName {
        let owner = try OwnerName(name)
        let asking: any UserTerminal = pin.map { p in PINAnsweringTerminal(base: terminal) { Array(p.utf8) } } ?? terminal
        let request = RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: spec, interaction: asking.interaction)
        guard case .created = try store.initialise(owner: owner, uid: nil, request: request) else { throw KeyrackError(.usage, "init did not create \(name)") }
        return owner
    }

    /// `set`, the manifest opened as the CLI opens it (OwnerIdentities: the same rule as unlock).
    @discardableResult
    func set(_ owner: OwnerName, _ slug: String, _ vault: Vault = .osSecure, exid: String? = nil, mech: Mechanism? = nil, value: String? = nil,
             options: [String: String] = [:], addr: String? = nil) throws -> KeyEntry {
        try store.setKey(owner: owner, try KeySetRequest(slug: try Slug(validating: slug), vault: vault, exid: exid, mech: mech, maxDuration: nil,
                                                         options: options, value: value.map { Array($0.utf8) }, addr: addr),
                         identities: try identities(owner)).0
    }

    func identities(_ owner: OwnerName) throws -> ManifestIdentities {
        try OwnerIdentities.resolve(owner, store: store, paths: [], interaction: terminal.interaction)
    }

    /// `set-default --openbao-…`: only the settings `edit` gives change; `clear` drops the rest first.
    func openBao(_ owner: OwnerName, clear: Bool = false, _ edit: (inout OpenBaoSettings) -> Void = { _ in }) throws {
        var s = OpenBaoSettings()
        edit(&s)
        _ = try OpenBaoDefaults.set(owner: owner, changes: s, clear: clear, store: store, identities: { try self.identities(owner) })
    }

    /// `unlock --for OWNER --env ENV …` with `environment` as the process's (its vaults and
    /// OpenBao read nothing else), on the wall clock (a minted credential's end is counted from it).
    @discardableResult
    func unlock(_ owner: OwnerName, env: String, key: String? = nil, using: Via? = nil, pin: PINInput = .terminal, identities: [String] = [],
                environment: [String: String] = [:], in store: HostManifestStore? = nil) throws -> UnlockResult {
        var use = Unlock(store: store ?? self.store, terminal: terminal, daemon: daemon, clock: LiveClock(),
                         events: { [unowned self] in events.append($0) },
                         fetchRemote: { try OpenBaoFetch.fetch($0, manifest: $1, owner: $2, interaction: $3, environment: environment) })
        use.environment = environment
        return try use.run(UnlockRequest(owner: owner, env: env, key: key, using: using, identityPaths: identities, pin: pin, workingDirectory: dir.url))
    }

    /// The keys that stayed locked, by slug, with the reason the CLI warns with
    /// (`warning: SLUG stays locked: WHY`, its remedy worded by the CLI).
    var lockedReasons: [String: LockedReason] {
        Dictionary(events.compactMap { if case .stayedLocked(let slug, let why) = $0 { return ("\(slug)", why) } else { return nil } }, uniquingKeysWith: { $1 })
    }

    /// The same reasons as text: the problem, then the remedy in plain words.
    var locked: [String: String] { lockedReasons.mapValues(\.description) }

    /// The value the daemon was last handed for `slug`, as text.
    func granted(_ slug: String) -> String? {
        daemon.granted.last { "\($0.slug)" == slug }.map { String(decoding: $0.value, as: UTF8.self) }
    }
}

/// What the CLI prints and exits with for `error`: its line as Terminal.printError writes it
/// (TextFormat.printable: escaped, one line) and its exit code. OpenBao's errors are worded by
/// the CLI (OpenBaoError+Text, checked by CLITests' OpenBaoTests): here their library line
/// (problem and remedy in the library's words) and the exit of their class.
func cliReport(_ error: Error, file: StaticString = #filePath, line: UInt = #line) -> (message: String, exit: Int32) {
    if let e = error as? OpenBaoError {
        return (TextFormat.printable("error: \(e)"), e.isRefusedConfiguration ? ExitStatus.usage : e.isUnreachable ? ExitStatus.failure : ExitStatus.notGranted)
    }
    if let e = error as? OpenBaoSetupError {
        return (TextFormat.printable("error: \(e)"), [.usage: ExitStatus.usage, .notGranted: ExitStatus.notGranted, .failure: ExitStatus.failure][e.kind]!)
    }
    guard let e = error as? CLIReportable else {
        XCTFail("not a reportable error: \(error)", file: file, line: line)
        return ("\(error)", -1)
    }
    return (TextFormat.printable(e.cliMessage), e.exitCode)
}

/// `expression` throws an error the CLI reports with exit `exit` and a line containing `text`.
func assertCLIError<T>(_ expression: @autoclosure () throws -> T, exit: Int32, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
        let (message, code) = cliReport(error, file: file, line: line)
        XCTAssertEqual(code, exit, message, file: file, line: line)
        XCTAssertTrue(message.contains(text), message, file: file, line: line)
    }
}
