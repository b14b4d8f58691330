import AgeFormat
import AgeYubiKey
import Foundation
import KeyrackClient
import KeyrackCore
import KeyrackDaemon
import PIV
#if canImport(Glibc)
import Glibc
import KeyrackClient
#endif

/// One finding of `keyrack doctor`: a failing check always carries what fixes it (typed where
/// it is one of the program's own commands: the CLI words it).
public struct DoctorCheck: Equatable, Sendable {
    public enum Status: String, Sendable { case pass, warn, fail, skip }
    public var name: String
    public var status: Status
    public var detail: String
    public var fix: DoctorRemedy?

    public init(name: String, status: Status, detail: String, fix: DoctorRemedy? = nil) {
        self.name = name
        self.status = status
        self.detail = detail
        self.fix = fix
    }

    static func pass(_ name: String, _ detail: String) -> DoctorCheck { DoctorCheck(name: name, status: .pass, detail: detail) }
    static func skip(_ name: String, _ detail: String) -> DoctorCheck { DoctorCheck(name: name, status: .skip, detail: detail) }
    static func fail(_ name: String, _ detail: String, fix: DoctorRemedy) -> DoctorCheck {
        DoctorCheck(name: name, status: .fail, detail: detail, fix: fix)
    }
}

/// The checks themselves. Read-only, and never a PIN or a touch: doctor must be safe to run
/// from cron or a robot's health probe, so only public data (serials, slot public keys, PIN
/// retry metadata, file modes) is consulted, and the manifest is opened only when an identity
/// file opens it without a passphrase.
public struct DoctorChecks {
    public let owner: String
    /// The home to check; nil when KEYRACK_HOME could not be used (`why` says so).
    let store: Result<HostManifestStore, Error>
    let probes: DoctorProbes

    /// The checks of `owner` in `store` (default: KEYRACK_HOME's), asking the machine through `probes`.
    public init(owner: String, store: HostManifestStore? = nil, probes: DoctorProbes = .live) {
        self.owner = owner
        self.store = store.map { .success($0) } ?? Result { try HostManifestStore.fromEnvironment() }
        self.probes = probes
    }

    /// Whether no check failed (warnings and skips do not count): doctor's exit status.
    public static func healthy(_ checks: [DoctorCheck]) -> Bool { !checks.contains { $0.status == .fail } }

    public func all() -> [DoctorCheck] {
        var out: [DoctorCheck] = []
        let store: HostManifestStore
        let name: OwnerName
        do {
            store = try self.store.get()
            name = try OwnerName(owner)
        } catch {
            return [.fail("keyrack home", "\(error)", fix: .outside("set KEYRACK_HOME to a directory you own, or unset it"))]
        }
        let recipients: RecipientsFile?
        do { recipients = try store.recipientsFile(name) } catch {
            return [.fail("owner", "\(error)", fix: .restoreRecipients(owner: owner, path: store.home.recipientsFile(name).path))]
        }
        if FileManager.default.fileExists(atPath: store.home.manifest(name).path) {
            out.append(.pass("owner", "'\(owner)' is initialised (\(store.home.manifest(name).path))"))
        } else {
            out.append(.fail("owner", "'\(owner)' has no manifest in \(store.home.root.path)", fix: .initialise(owner: owner)))
        }
        let primary = recipients?.recipients.first { $0.label == RecipientLabel.primary } ?? recipients?.recipients.first
        out += cardChecks(primary)
        out += tpmChecks(primary)
        out += modeChecks(store.home, name)
        out += identityFileChecks(store, name)
        out += daemonChecks()
        out += toolChecks(store, name)
        out += sandboxChecks(probes.sandbox())
        return out
    }

    /// `exec --sandbox`: bubblewrap, unprivileged user namespaces, pidfd (a warning, not a
    /// failure, when missing: only sandboxed owners and `--sandbox` need them).
    func sandboxChecks(_ report: SandboxReport) -> [DoctorCheck] {
        var out: [DoctorCheck] = []
        switch report.bubblewrap {
        case .failure(let error):
            out.append(DoctorCheck(name: "sandbox", status: .warn, detail: error.problem, fix: .outside(error.fix)))
        case .success(let path):
            if let problem = report.userNamespaceProblem {
                out.append(DoctorCheck(name: "sandbox", status: .warn, detail: "bubblewrap \(report.version ?? "?") (\(path)) cannot make an unprivileged user namespace here: \(problem)",
                                       fix: .outside("allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or the AppArmor userns restriction lifted for bwrap)")))
            } else {
                out.append(.pass("sandbox", "bubblewrap \(report.version ?? "?") (\(path)); unprivileged user namespaces work"))
            }
        }
        if report.pidfd {
            out.append(.pass("pidfd", "pidfd_open works; SO_PEERPIDFD \(report.peerPidfd ? "works" : "is absent (pidfd_open by pid is used)")"))
        } else {
            out.append(DoctorCheck(name: "pidfd", status: .warn, detail: "pidfd_open is not available (Linux 5.3+): a sandboxed owner's daemon cannot prove where its peers run",
                                   fix: .outside("use a newer kernel")))
        }
        return out
    }

    // MARK: card

    private func cardChecks(_ primary: RecipientLocation?) -> [DoctorCheck] {
        let wantsCard = primary?.via == .yubikey
        let seen: [(reader: String, serial: UInt32)]
        do { seen = try probes.cards() } catch PIVError.pcscdNotRunning {
            let check = DoctorCheck.fail("pcscd", "pcscd is not reachable", fix: .outside("sudo systemctl enable --now pcscd.socket (Debian: apt install pcscd)"))
            return wantsCard ? [check] : [DoctorCheck(name: "pcscd", status: .skip, detail: "pcscd is not reachable (not needed: '\(owner)' uses \(primary?.via.rawValue ?? "no recipient"))")]
        } catch {
            return [.fail("pcscd", "cannot list smart cards: \(error)", fix: .outside("check that pcscd runs and you may use it (udev/ and polkit rules in this repository)"))]
        }
        var out: [DoctorCheck] = [.pass("pcscd", "reachable")]
        let access = probes.pcscdAccess()
        out.append(access.open
            ? DoctorCheck(name: "pcscd access", status: .warn, detail: access.detail,
                          fix: .pinOnceForRobots)
            : .pass("pcscd access", access.detail))
        let serials = seen.map { String($0.serial) }.joined(separator: ", ")
        out.append(seen.isEmpty ? (wantsCard ? .fail("cards", "no YubiKey is plugged in", fix: .outside("plug in the YubiKey \(primary?.card.map { String($0.serial) } ?? "")"))
                                             : .pass("cards", "none plugged in"))
                                : .pass("cards", "\(seen.count) seen: \(serials)"))
        guard wantsCard, let primary else { return out }
        guard let (serial, slot) = primary.card else {
            out.append(.fail("owner's card", "no serial/slot recorded for '\(owner)'", fix: .recordTheCard(owner: owner)))
            return out
        }
        guard seen.contains(where: { $0.serial == serial }) else {
            out.append(.fail("owner's card", "YubiKey \(serial) of '\(owner)' is not plugged in", fix: .plugInOrUseBackup(owner: owner, serial: serial)))
            return out
        }
        do {
            // An X25519 slot (firmware 5.7+) has a plain age1… recipient; a P-256 one age1yubikey1….
            let onCard = (try? X25519Recipient(string: primary.pubkey)) != nil
                ? try YubiKeyX25519Keys.recipient(serial: serial, slot: slot).recipient.string
                : try YubiKeyRecipientSource.recipient(serial: serial, slot: slot).string
            if onCard == primary.pubkey {
                out.append(.pass("owner's card", "YubiKey \(serial) slot \(slot) holds the manifest's recipient"))
            } else {
                out.append(.fail("owner's card", "YubiKey \(serial) slot \(slot) holds another key than the manifest's recipient",
                                 fix: .recoverWithBackup(owner: owner)))
            }
        } catch {
            out.append(.fail("owner's card", "YubiKey \(serial) slot \(slot): \(error)", fix: .checkTheCard(owner: owner, serial: serial)))
        }
        var pinOnce = false
        do {
            let card = try PIVCards.open(serial: serial)
            defer { card.close() }
            pinOnce = (try? card.slotInfo(slot))?.pinPolicy == .once
            out.append(.pass("firmware", "YubiKey \(serial) runs \(card.version)"
                             + (card.version.hasCurve25519 ? " (it can hold X25519 slot keys)" : "")))
            let defaults = try card.factoryDefaults()
            let named: [(DoctorRemedy.FactorySecret, Bool?)] = [(.pin, defaults.pin), (.puk, defaults.puk), (.managementKey, defaults.managementKey)]
            for (secret, isDefault) in named {
                let what = secret.rawValue
                switch isDefault {
                case true?: out.append(.fail("factory \(what)", "YubiKey \(serial) still has the factory \(what)", fix: .changeFactory(secret, serial: serial)))
                case false?: out.append(.pass("factory \(what)", "changed"))
                case nil: out.append(.skip("factory \(what)", "this firmware cannot tell"))
                }
            }
        } catch {
            out.append(.fail("factory secrets", "YubiKey \(serial): \(error)", fix: .replugAndCheckAgain(owner: owner, serial: serial)))
        }
        out.append(autoExitCheck(pinOnce: pinOnce))
        return out
    }

    /// A PIN-`once` owner loses its verified PIN whenever pcscd exits idle (Debian's --auto-exit).
    private func autoExitCheck(pinOnce: Bool) -> DoctorCheck {
        guard let (autoExit, source) = probes.pcscdAutoExit() else { return .skip("pcscd auto-exit", "cannot tell how pcscd is started") }
        guard autoExit else { return .pass("pcscd auto-exit", "\(source) keeps running when idle") }
        let what = "\(source) runs with --auto-exit: 60 s after the last use pcscd exits, the card powers down and forgets the PIN"
        return pinOnce ? .fail("pcscd auto-exit", what + ", so '\(owner)' (PIN policy once) is asked for it again", fix: .outside(PcscdAutoExit.fix))
                       : .pass("pcscd auto-exit", what + " (harmless for '\(owner)': its PIN policy is not once)")
    }

    // MARK: modes

    private func modeChecks(_ home: KeyrackHome, _ name: OwnerName) -> [DoctorCheck] {
        var out: [DoctorCheck] = []
        out.append(mode("KEYRACK_HOME", home.root.path, want: 0o700, optional: false))
        for path in [home.manifest(name).path, home.recipientsFile(name).path, home.direct(name).path, home.tpmIdentity(name).path] {
            out.append(mode(URL(fileURLWithPath: path).lastPathComponent, path, want: 0o600, optional: true))
        }
        let runtime = probes.runtime
        out.append(mode("runtime dir", runtime.path, want: 0o700, optional: true))
        out.append(mode("daemon socket", runtime.socket(owner: owner), want: 0o600, optional: true))
        return out.filter { $0.status != .skip || $0.name == "KEYRACK_HOME" }
    }

    /// Every identity file recorded for the owner and present here, by the rule unlock applies
    /// (`PrivateFile`): the caller's own, nothing for group or others; else unlock refuses it.
    private func identityFileChecks(_ store: HostManifestStore, _ name: OwnerName) -> [DoctorCheck] {
        let files = ((try? store.availableIdentityLocations(name)) ?? []).compactMap { loc -> (String, String)? in
            if case .file(let path)? = loc.identity { return (loc.label, path) }
            return nil
        }
        return files.map { label, path in
            guard let problem = PrivateFile.problem(path: path, what: "identity file") else {
                return .pass("identity file", "\(path) (recipient \(label)) is yours alone")
            }
            var st = stat()
            let fix = stat(path, &st) == 0 && st.st_uid != getuid() ? "chown \(getuid()) \(path) && chmod 600 \(path)" : "chmod 600 \(path)"
            return .fail("identity file", problem + " (recipient \(label)); unlock refuses it", fix: .outside(fix))
        }
    }

    /// A file must exist (unless optional), belong to us, and grant nothing to group or others.
    private func mode(_ name: String, _ path: String, want: mode_t, optional: Bool) -> DoctorCheck {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            return optional ? .skip(name, "\(path) absent") : .fail(name, "\(path) is absent", fix: .initialiseMakesIt(owner: owner))
        }
        let perms = st.st_mode & 0o7777
        if st.st_uid != getuid() {
            return .fail(name, "\(path) belongs to uid \(st.st_uid), not to you (uid \(getuid()))", fix: .outside("chown \(getuid()) \(path)"))
        }
        if perms & ~want != 0 {
            return .fail(name, "\(path) has mode \(String(perms, radix: 8)), looser than \(String(want, radix: 8))", fix: .outside("chmod \(String(want, radix: 8)) \(path)"))
        }
        return .pass(name, "\(path) mode \(String(perms, radix: 8))")
    }

    // MARK: daemon, vault tools

    private func daemonChecks() -> [DoctorCheck] {
        let client = DaemonClient(owner: owner, runtime: probes.runtime)
        // The same checks every client makes before it connects: a squatted directory or a
        // daemon of another uid is named, never talked to.
        do { _ = try client.connect() } catch let error as DaemonError {
            switch error {
            case .unsafeRuntimeDirectory(let why), .untrustedDaemon(let why):
                return [.fail("daemon", why, fix: .outside("remove \(client.runtime.path) (as root if need be), or set XDG_RUNTIME_DIR to a private directory"))]
            case .orphaned(_, let pid):
                return [.fail("daemon", "pid \(pid) is running but its socket \(client.socketPath) was removed, so nothing can reach it", fix: .stopTheDaemon(owner: owner, stale: false))]
            default: break
            }
        } catch {}
        if client.isRunning() { return [.pass("daemon", "answering on \(client.socketPath)")] }
        if FileManager.default.fileExists(atPath: client.socketPath) {
            return [.fail("daemon", "\(client.socketPath) exists but no daemon answers", fix: .stopTheDaemon(owner: owner, stale: true))]
        }
        return [.pass("daemon", "not running (the next unlock starts it)")]
    }

    /// 1password keys need `op`, aws.params and aws.config keys the AWS CLI v2. Which vaults the
    /// owner uses is learnt from the manifest when a passphrase-less identity file opens it,
    /// else from the daemon's grants.
    private func toolChecks(_ store: HostManifestStore, _ name: OwnerName) -> [DoctorCheck] {
        var vaults: Set<String>?
        let files = ((try? store.availableIdentityLocations(name)) ?? []).filter { $0.via != .yubikey }
        let ids = files.compactMap { try? RecipientBackends.backend(for: $0.via).identity(for: $0, interaction: .nonInteractive) }
        if !ids.isEmpty, let manifest = try? store.load(owner: name, identities: ManifestIdentities(given: ids)) {
            vaults = Set(manifest.keys.values.map(\.vault.rawValue))
        }
        if vaults == nil, case .status(let status)? = try? DaemonClient(owner: owner, runtime: probes.runtime).send(.status) {
            vaults = Set(status.grants.map(\.vault))
        }
        let unseen = vaults == nil ? " seen (manifest not opened: it needs the card)" : ""
        var out: [DoctorCheck] = []
        if vaults?.contains(Vault.onePassword.rawValue) == true {
            out.append(OnePassword.executable() != nil ? .pass("1password", "op is on PATH")
                       : .fail("1password", "'\(owner)' has 1password keys but `op` is not on PATH", fix: .outside(OnePassword.installAdvice)))
        } else {
            out.append(.pass("1password", "no 1password keys\(unseen)"))
        }
        if vaults?.contains(Vault.awsParams.rawValue) == true || vaults?.contains(Vault.awsConfig.rawValue) == true {
            switch AWSCLI.locate() {
            case .found(let path, let version): out.append(.pass("aws", "\(path) is aws-cli/\(version)"))
            case .missing: out.append(.fail("aws", "'\(owner)' has AWS keys but `aws` is not on PATH", fix: .outside(AWSCLI.installAdvice)))
            case .tooOld(let seen): out.append(.fail("aws", "'\(owner)' has AWS keys and only an old AWS CLI is on PATH: \(seen.joined(separator: ", "))",
                                                     fix: .outside(AWSCLI.installAdvice + ", or point KEYRACK_AWS_CLI at it")))
            }
        } else {
            out.append(.pass("aws", "no AWS keys\(unseen)"))
        }
        return out
    }
}
