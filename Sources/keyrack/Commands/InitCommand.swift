import AgeYubiKey
import ArgumentParser
import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import PIV
import KeyrackNames

/// `keyrack init`: creates an owner's host manifest, encrypted to exactly that owner's recipient.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an owner's encrypted host manifest (once; a re-run changes nothing).",
        discussion: """
        --via ssh (the default) uses --pubkey: a .pub file, or the key itself ("ssh-ed25519 AAAA…"); \
        by default ~/.ssh/id_ed25519.pub, else id_rsa.pub (ECDSA keys cannot be age recipients). \
        The private key is the same path without .pub. --via age uses --identity FILE, or a \
        recipient (age1…, or a file holding one) from --pubkey, or creates \
        KEYRACK_HOME/identities/OWNER.txt (0600). --via yubikey uses a PIV slot. --via tpm makes a \
        P-256 key in this machine's TPM 2.0 (/dev/tpmrm0, or the TCTI in KEYRACK_TPM_TCTI), sealed into \
        KEYRACK_HOME/identities/OWNER.tpm.txt (0600); its recipient is age1tag1….
        """)

    @OptionGroup var options: OwnerOptions

    @Option(help: ArgumentHelp("How the owner proves itself (default: ssh).", valueName: "via"))
    var via: Via?

    @Option(help: ArgumentHelp("The public key, or a file holding it: ssh-ed25519/ssh-rsa (a .pub, or the private key beside it), or age1….", valueName: "key"))
    var pubkey: String?

    @Option(help: ArgumentHelp("--via age: an existing age identity file to use.", valueName: "path"))
    var identity: String?

    @Flag(help: "--via age: a post-quantum mlkem768x25519 identity (never mixed with classic keys).")
    var pq = false

    @Option(help: ArgumentHelp("--via yubikey: the card's serial number (required when several are plugged in).", valueName: "n"))
    var serial: UInt32?

    @Option(help: ArgumentHelp("--via yubikey: the PIV slot in hex (82–95); default: the first free retired slot.", valueName: "hex"))
    var slot: PIVSlot?

    @Option(help: ArgumentHelp("--via yubikey or tpm: PIN policy of a new key (default: once for human, never for robots; tpm takes never or once).", valueName: "policy"))
    var pinPolicy: PINPolicyArgument?

    @Option(help: ArgumentHelp("--via yubikey: touch policy of a new key (default: cached for human, never for robots).", valueName: "policy"))
    var touchPolicy: TouchPolicyArgument?

    @Option(help: ArgumentHelp("--via yubikey: the recipient form: piv-p256 (age1yubikey1…, opens with age-plugin-yubikey; default) or tag (age1tag1…, age ≥ 1.3 encrypts to it without a plugin).", valueName: "type"))
    var recipientType: RecipientTypeArgument?

    @Option(help: ArgumentHelp("--via yubikey: the key in the slot: p256 (default; age1yubikey1…, any YubiKey 4/5) or x25519 (firmware 5.7+; a plain age1… recipient any age encrypts to, decrypted on the card).", valueName: "algorithm"))
    var algorithm: YubiKeyKeyAlgorithm?

    @Flag(help: "--via yubikey: read the card's PIN (needed only to create a key) from stdin instead of the terminal; --via tpm: the new key's PIN.")
    var pinStdin = false

    @Option(help: ArgumentHelp("Pin the owner to this Unix user (name or uid): its daemon then admits only that uid.", valueName: "user"))
    var uid: String?

    @Option(help: ArgumentHelp("Also create the repository's .agent/keyrack.yml (org: ORG) at the git root when it has none.", valueName: "org"))
    var org: String?

    @Flag(help: "Give the owner's values only to programs in its sandbox (keyrack exec --for OWNER --sandbox); see docs/robots.md.")
    var sandboxed = false

    mutating func validate() throws {
        if let org, !NameRules.isValidOrg(org) { throw ValidationError(NameRules.invalidOrgMessage(org)) }
        let via = via ?? .ssh
        if via != .age && (pq || identity != nil) { throw ValidationError("--pq and --identity only apply to --via age") }
        if via == .age && pubkey != nil && identity != nil { throw ValidationError("give --pubkey or --identity, not both") }
        if via != .yubikey && (serial != nil || slot != nil || touchPolicy != nil || recipientType != nil || algorithm != nil) {
            throw ValidationError("--serial, --slot, --touch-policy, --recipient-type and --algorithm only apply to --via yubikey")
        }
        if via != .yubikey && via != .tpm && pinPolicy != nil { throw ValidationError("--pin-policy only applies to --via yubikey and --via tpm") }
        if via == .tpm && pinPolicy == .always {
            throw ValidationError("--pin-policy always is a YubiKey policy: a TPM key has a PIN (once: asked once per unlock) or none (never)")
        }
        if algorithm == .x25519 && recipientType != nil {
            throw ValidationError("--recipient-type names a form of a P-256 key; an --algorithm x25519 owner's recipient is a plain age1…")
        }
        if let slot, !slot.isRetired { throw ValidationError("--slot \(slot) is not a retired slot: owners' keys live in 82–95") }
        if pinStdin && via != .yubikey && via != .tpm { throw ValidationError("--pin-stdin only applies to --via yubikey and --via tpm") }
        if let uid { _ = try resolveUID(uid) }
    }

    func run() throws {
        let owner = try options.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        let input = OwnerInit.Input(owner: owner, spec: spec(via: via ?? .ssh, pubkey: pubkey), viaGiven: via != nil, uid: try uid.map(resolveUID),
                                    sandboxed: sandboxed, org: try org.map(OrgName.init), directory: InvocationPaths.currentDirectory,
                                    userHome: InvocationPaths.userHome)
        let result = try OwnerInit.run(input, store: store, interaction: pinStdin ? stdinPIN : TerminalInteraction.live, note: Terminal.printError)
        let via = result.via, repo = result.repoFile
        let path = store.home.manifest(owner).path
        switch result.outcome {
        case .created(let manifest, let setup):
            if options.json {
                JSONLine.print(InitJSON(owner: owner.value, effect: "created", manifest: path, via: via.rawValue, recipient: manifest.owner.pubkey,
                                        identity: setup.location.identityPath, createdIdentity: setup.createdIdentity, repo: repo.map { RepoFileInitJSON($0, org: org ?? "") }))
            } else {
                print("keyrack init: created owner \(owner)")
                print("  manifest:  \(path)")
                print("  recipient: \(HostManifestStore.shorten(manifest.owner.pubkey)) (via \(via.rawValue))")
                if let id = setup.location.identityPath { print("  identity:  \(id)\(setup.createdIdentity ? " (new)" : "")") }
                if manifest.owner.sandboxed { print("  sandboxed: its values go only to `keyrack exec --for \(owner.value) --sandbox`") }
            }
        case .alreadyInitialised(let recipients):
            let primary = recipients?.recipients.first
            if options.json {
                JSONLine.print(InitJSON(owner: owner.value, effect: "already-initialised", manifest: path, via: primary?.via.rawValue, recipient: primary?.pubkey,
                                        identity: nil, createdIdentity: nil, repo: repo.map { RepoFileInitJSON($0, org: org ?? "") }))
            } else {
                print("keyrack init: owner \(owner) is already initialised (\(path)); nothing was changed")
            }
        }
        if let repo, !options.json {
            switch repo {
            case .created(let path): print("  repository file: \(path) (created, org \(org!))")
            case .found(let path): print("  repository file: \(path) (found, org \(org!))")
            case .notInRepository: print("  repository file: not in a git repository; run init --org inside one to create .agent/keyrack.yml")
            }
        }
    }

    /// What the backend of `via` is asked for; validate() has refused options of another `via`.
    private func spec(via: Via, pubkey: String?) -> RecipientSpec {
        switch via {
        case .ssh:
            return .ssh(publicKey: pubkey)
        case .age:
            return .age(AgeRecipientSpec(identity.map { .identityFile($0) } ?? pubkey.map { .recipient($0) } ?? .newIdentity, postQuantum: pq))
        case .yubikey:
            return .yubikey(YubiKeyRecipientSpec(serial: serial, slot: slot, pinPolicy: pinPolicy?.policy, touchPolicy: touchPolicy?.policy,
                                                 recipientType: recipientType?.type ?? .default, algorithm: algorithm ?? .p256))
        case .tpm:
            return .tpm(TPMRecipientSpec(pinPolicy: pinPolicy.flatMap { TPMPINPolicy(rawValue: $0.rawValue) }))
        }
    }

    /// PIN prompts answered from stdin (first line), for robots and scripts.
    private var stdinPIN: Interaction {
        Interaction(secret: { _ in PINSource.fromStdin() }, notice: TerminalInteraction.live.notice)
    }

    /// A user name or a numeric uid, checked against the password database (UnixUser).
    private func resolveUID(_ user: String) throws -> UInt32 {
        guard let uid = UnixUser.uid(user) else { throw ValidationError("unknown user '\(user.prefix(32))' for --uid: give an existing user name or a numeric uid") }
        return uid
    }
}

extension YubiKeyKeyAlgorithm: ExpressibleByArgument {}
