import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackClient
import KeyrackCore
import PIV
import KeyrackPresentation

/// `keyrack init`: creates an owner's host manifest, encrypted to exactly that owner's recipient.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an owner's encrypted host manifest (once; a re-run changes nothing).",
        discussion: Help.initCommand)

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

    /// The options, typed for the app layer (InitRequest holds the rules that tie them to a --via).
    private var request: InitRequest {
        var r = InitRequest()
        (r.via, r.pubkey, r.identity, r.postQuantum, r.serial, r.slot) = (via, pubkey, identity, pq, serial, slot)
        (r.pinPolicy, r.touchPolicy, r.recipientType, r.algorithm) = (pinPolicy?.policy, touchPolicy?.policy, recipientType?.type, algorithm)
        (r.pinFromStdin, r.uid, r.org, r.sandboxed) = (pinStdin, uid, org, sandboxed)
        return r
    }

    mutating func validate() throws {
        do { try request.check() } catch let problem as InitRequest.Problem { throw ValidationError(problem.line.text) }
    }

    func run() throws {
        let owner = try options.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        let request = self.request
        let result = try OwnerInit.run(try request.input(owner: owner), store: store, interaction: request.interaction, note: { Terminal.printError($0.line) })
        let path = store.home.manifest(owner).path
        options.answer(InitJSON(owner: owner.value, manifest: path, result: result, org: org)) {
            result.lines(owner: owner, manifestPath: path, org: org).forEach { print($0) }
        }
    }
}

extension YubiKeyKeyAlgorithm: ExpressibleByArgument {}
