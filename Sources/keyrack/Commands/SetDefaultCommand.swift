import ArgumentParser
import KeyrackApp
import KeyrackCore
import PIV
import KeyrackNames

extension OpenBaoSettings.Login: ExpressibleByArgument {}
extension OpenBaoSettings.JWTSource: ExpressibleByArgument {}

/// `keyrack set-default`: an owner's defaults for remote vaults, kept in its encrypted manifest
/// (the `openbao:` section). Only the options given change; `--clear-openbao` drops the section.
struct SetDefaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-default",
        abstract: "Set an owner's defaults for remote vaults (the OpenBao / Vault cluster and its login).",
        discussion: """
        A key's own --openbao-addr / --openbao-cacert win over these; BAO_ADDR / VAULT_ADDR, \
        VAULT_CACERT and VAULT_NAMESPACE fill what neither says. Logins: cert (mutual TLS whose \
        signature the YubiKey makes: no secret on disk at all), approle (role_id and secret_id are \
        os.secure keys of this manifest), token (BAO_TOKEN / VAULT_TOKEN or ~/.vault-token, for \
        a person who ran `bao login`; never revoked by keyrack), jwt (a JWT checked by the jwt auth \
        mount: the GitHub Actions job's ID token, asked for at each unlock for --openbao-jwt-audience, \
        or --openbao-jwt-source card, a short-lived JWT the YubiKey signs). A token keyrack logs in for lives \
        in the unlock process only and is revoked before unlock returns. See docs/openbao.md.
        """)

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

    mutating func validate() throws {
        if UsageChecks.refusesOpenBaoAddress(openbaoAddr) { return }  // run() says why, on one line
        try UsageChecks.check {
            _ = try openbaoRoleIdKey.map(Slug.init(validating:))
            _ = try openbaoSecretIdKey.map(Slug.init(validating:))
            try openbaoLeaseRole.map(OpenBaoLease.validate(role:))
        }
        if let openbaoSlot, PIVSlot(parsing: openbaoSlot) == nil {
            throw ValidationError("invalid --openbao-slot '\(openbaoSlot.prefix(10))': use 9a, 9c, 9d, 9e or a retired slot 82–95")
        }
        if openbaoJwtMount != nil && openbaoAuthMount != nil && openbaoJwtMount != openbaoAuthMount {
            throw ValidationError("--openbao-jwt-mount and --openbao-auth-mount name the same setting: give one")
        }
        let setsSomething = [openbaoAddr, openbaoCacert, openbaoNamespace, openbaoAuthMount, openbaoCertRole, openbaoSlot,
                             openbaoRoleIdKey, openbaoSecretIdKey, openbaoJwtRole, openbaoJwtAudience, openbaoJwtMount, openbaoLeaseRole].contains { $0 != nil }
            || openbaoLogin != nil || openbaoSerial != nil || openbaoJwtSource != nil
        if !setsSomething && !clearOpenbao { throw ValidationError("nothing to set: give at least one --openbao-… option (or --clear-openbao)") }
        if setsSomething && clearOpenbao { throw ValidationError("--clear-openbao takes no other option") }
    }

    func run() throws {
        try UsageChecks.checkOpenBaoAddress(openbaoAddr)
        let owner = try options.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        var changes = OpenBaoSettings()
        changes.addr = openbaoAddr
        changes.cacert = openbaoCacert.map({ InvocationPaths.absolutePath($0) })
        changes.namespace = openbaoNamespace
        changes.login = openbaoLogin
        changes.authMount = openbaoAuthMount ?? openbaoJwtMount
        changes.certRole = openbaoCertRole
        changes.slot = openbaoSlot.flatMap(PIVSlot.init(parsing:))?.description
        changes.serial = openbaoSerial
        changes.roleIdKey = try openbaoRoleIdKey.map(Slug.init(validating:))
        changes.secretIdKey = try openbaoSecretIdKey.map(Slug.init(validating:))
        changes.jwtRole = openbaoJwtRole
        changes.jwtAudience = openbaoJwtAudience
        changes.jwtSource = openbaoJwtSource
        changes.leaseRole = openbaoLeaseRole
        let settings = try OpenBaoDefaults.set(owner: owner, changes: changes, clear: clearOpenbao, store: store, identities: {
            try identity.identities(owner, store: store)
        })
        if options.json {
            try ManifestCLI.printJSON(["owner": owner.value, "openbao": Self.json(settings)])
        } else if settings.isEmpty {
            print("keyrack set-default: owner \(owner) has no OpenBao defaults")
        } else {
            print("keyrack set-default: OpenBao defaults of owner \(owner): " + Self.json(settings).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
    }

    static func json(_ s: OpenBaoSettings) -> [String: Any] {
        var o: [String: Any] = [:]
        o["addr"] = s.addr; o["cacert"] = s.cacert; o["namespace"] = s.namespace; o["login"] = s.login?.rawValue
        o["authMount"] = s.authMount; o["certRole"] = s.certRole; o["slot"] = s.slot; o["serial"] = s.serial.map { Int($0) }
        o["roleIdKey"] = s.roleIdKey?.description; o["secretIdKey"] = s.secretIdKey?.description
        o["jwtRole"] = s.jwtRole; o["jwtAudience"] = s.jwtAudience; o["jwtSource"] = s.jwtSource?.rawValue
        o["leaseRole"] = s.leaseRole
        return o
    }
}
