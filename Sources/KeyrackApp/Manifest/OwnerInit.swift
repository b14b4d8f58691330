import Foundation
import KeyrackClient
import KeyrackCore
import KeyrackNames
#if canImport(Glibc)
import Glibc
#endif

/// `init`: an owner's manifest created (once; a re-run changes nothing), its default ssh key
/// chosen when none was named, and the repository's `.agent/keyrack.yml` made with `--org`.
public enum OwnerInit {
    public struct Input {
        public var owner: OwnerName
        /// `.ssh(publicKey: nil)` is the user's default key (looked for only when init creates).
        public var spec: RecipientSpec
        /// False when no --via was given: the default key is then named as the choice made.
        public var viaGiven: Bool
        public var uid: UInt32?
        public var sandboxed: Bool
        public var org: OrgName?
        public var directory: URL
        public var userHome: URL

        public init(owner: OwnerName, spec: RecipientSpec, viaGiven: Bool, uid: UInt32? = nil, sandboxed: Bool = false, org: OrgName? = nil,
                    directory: URL, userHome: URL) {
            self.owner = owner
            self.spec = spec
            self.viaGiven = viaGiven
            self.uid = uid
            self.sandboxed = sandboxed
            self.org = org
            self.directory = directory
            self.userHome = userHome
        }
    }

    public struct Result {
        public var outcome: HostManifestStore.InitOutcome
        public var via: Via
        public var repoFile: RepoFileInit.Outcome?
    }

    /// `note` gets what a person should read on the way (the key chosen, a PIN-never slot on
    /// an open pcscd); `interaction` answers the card's or TPM's PIN prompts.
    public static func run(_ input: Input, store: HostManifestStore, interaction: Interaction, pcscdOpen: () -> (open: Bool, detail: String) = PcscdAccess.describe,
                           pluggedYubiKey: () -> UInt32? = InitDefaults.pluggedYubiKey, note: (InitNote) -> Void) throws -> Result {
        let owner = input.owner
        // An owner the TypeScript keyrack already has: an empty manifest beside it would hide its keys.
        if !store.isInitialised(owner), let old = store.typeScriptManifest(owner) {
            throw KeyrackError(.usage, problem: "owner \(owner.value) has the TypeScript keyrack's manifest \(old.path)", remedy: .migrate(owner: owner.value, orStartEmpty: true))
        }
        var spec = input.spec
        // The default key is looked for (and named) only when init will create something.
        if case .ssh(publicKey: nil) = spec, !store.isInitialised(owner) {
            spec = .ssh(publicKey: try InitDefaults.sshKey(userHome: input.userHome, bare: !input.viaGiven, pluggedYubiKey: pluggedYubiKey, note: note))
        }
        if case .yubikey(let card) = spec, card.policies(for: owner).pin == .never, let pinned = input.uid, pinned != getuid() {
            let pcscd = pcscdOpen()
            if pcscd.open {
                note(.pinNeverOnOpenPcscd(owner: owner.value, pcscd: pcscd.detail, uid: pinned))
            }
        }
        // The repository file first: a file of another org is refused before the owner is made.
        let repo = try input.org.map { try RepoFileInit.run(org: $0, from: input.directory) }
        let request = RecipientSetupRequest(owner: owner, home: store.home, userHome: input.userHome, spec: spec, interaction: interaction)
        let outcome = try store.initialise(owner: owner, uid: input.uid, sandboxed: input.sandboxed, request: request)
        return Result(outcome: outcome, via: spec.via, repoFile: repo)
    }
}
