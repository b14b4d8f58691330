import ArgumentParser
import KeyrackHelp
import KeyrackApp
import KeyrackCore
import KeyrackPresentation

extension OpenBaoSettings.Login: ExpressibleByArgument {}
extension OpenBaoSettings.JWTSource: ExpressibleByArgument {}

/// `keyrack set-default`: an owner's defaults for remote vaults, kept in its encrypted manifest
/// (the `openbao:` section). Only the options given change; `--clear-openbao` drops the section.
struct SetDefaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-default",
        abstract: "Set an owner's defaults for remote vaults (the OpenBao / Vault cluster and its login).",
        discussion: Help.setDefault)

    @OptionGroup var options: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    @Option(help: ArgumentHelp("The server, e.g. https://bao.example.net:8200.", valueName: "url"))
    var openbaoAddr: String?

    @Option(help: ArgumentHelp("A PEM file of the CA(s) that sign the server's certificate.", valueName: "path"))
    var openbaoCacert: String?

    @Option(help: ArgumentHelp("The OpenBao / Vault namespace (X-Vault-Namespace).", valueName: "name"))
    var openbaoNamespace: String?

    @Option(help: ArgumentHelp("How to log in: cert, approle, jwt or token.", valueName: "login"))
    var openbaoLogin: OpenBaoSettings.Login?

    @Option(help: ArgumentHelp("The auth mount, when not the method's name (cert, approle, jwt).", valueName: "path"))
    var openbaoAuthMount: String?

    @Option(help: ArgumentHelp("cert: the name under auth/cert/certs/ to log in as (default: any that trusts the card).", valueName: "name"))
    var openbaoCertRole: String?

    @Option(help: ArgumentHelp("cert: the PIV slot with the login key and certificate (default 9a).", valueName: "slot"))
    var openbaoSlot: String?

    @Option(help: ArgumentHelp("cert: the YubiKey's serial (default: the owner's card, else the only one plugged in).", valueName: "serial"))
    var openbaoSerial: UInt32?

    @Option(help: ArgumentHelp("approle: the os.secure key holding role_id, as ORG.ENV.KEY.", valueName: "slug"))
    var openbaoRoleIdKey: String?

    @Option(help: ArgumentHelp("approle: the os.secure key holding secret_id, as ORG.ENV.KEY.", valueName: "slug"))
    var openbaoSecretIdKey: String?

    @Option(help: ArgumentHelp("jwt: the role to log in as (default: the mount's default_role).", valueName: "role"))
    var openbaoJwtRole: String?

    @Option(help: ArgumentHelp("jwt: the audience (aud claim) to ask GitHub Actions for, or to put in the card's JWT.", valueName: "aud"))
    var openbaoJwtAudience: String?

    @Option(help: ArgumentHelp("jwt: the auth mount (default jwt); the same as --openbao-auth-mount.", valueName: "path"))
    var openbaoJwtMount: String?

    @Option(help: ArgumentHelp("jwt: where the JWT comes from: github (the Actions job's ID token, the default) or card (signed by the YubiKey).", valueName: "source"))
    var openbaoJwtSource: OpenBaoSettings.JWTSource?

    @Option(help: ArgumentHelp("Dynamic secrets (mech EPHEMERAL_VIA_OPENBAO_LEASE): the token role whose orphan token reads them and is revoked, with its leases, when the grant ends.", valueName: "role"))
    var openbaoLeaseRole: String?

    @Flag(help: "Remove the owner's OpenBao defaults.")
    var clearOpenbao = false

    /// The options, typed for the app layer (OpenBaoDefaultsRequest holds their rules).
    private var request: OpenBaoDefaultsRequest {
        var r = OpenBaoDefaultsRequest()
        (r.addr, r.cacert, r.namespace, r.login, r.authMount, r.certRole) = (openbaoAddr, openbaoCacert, openbaoNamespace, openbaoLogin, openbaoAuthMount, openbaoCertRole)
        (r.slot, r.serial, r.roleIdKey, r.secretIdKey, r.jwtRole) = (openbaoSlot, openbaoSerial, openbaoRoleIdKey, openbaoSecretIdKey, openbaoJwtRole)
        (r.jwtAudience, r.jwtMount, r.jwtSource, r.leaseRole, r.clear) = (openbaoJwtAudience, openbaoJwtMount, openbaoJwtSource, openbaoLeaseRole, clearOpenbao)
        return r
    }

    mutating func validate() throws {
        if UsageChecks.refusesOpenBaoAddress(openbaoAddr) { return }  // run() says why, on one line
        do { try UsageChecks.check { try request.check() } } catch let problem as OpenBaoDefaultsRequest.Problem { throw ValidationError(problem.cliText) }
    }

    func run() throws {
        try UsageChecks.checkOpenBaoAddress(openbaoAddr)
        let owner = try options.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        let settings = try OpenBaoDefaults.set(owner: owner, request, store: store, identities: { try identity.identities(owner, store: store) })
        let answer = SetDefaultJSON(owner: owner.value, settings: settings)
        options.answer(answer) { print(answer.line) }
    }
}
