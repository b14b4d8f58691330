import Foundation
@testable import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackOpenBao
import TestSupport
import XCTest
import KeyrackNames

/// Where `unlock` reads an openbao key and how it logs in there, decided before any connection:
/// address, CA, namespace, timeout and login precedence, the refusals that keep a login on the
/// owner's server. Entries are made by the real store (an age owner in a temporary home).
final class OpenBaoFetchPrecedenceTests: XCTestCase {
    private var dir: TempDirectory!
    private var store: HostManifestStore!
    private var owner: OwnerName!

    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-openbao")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        owner = try OwnerName("robo")
        _ = try store.initialise(owner: owner, uid: nil,
                                 request: RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: .age(AgeRecipientSpec(postQuantum: false))))
    }
    override func tearDown() { dir.remove() }

    private func entry(_ slug: String, addr: String? = nil, cacert: String? = nil) throws -> KeyEntry {
        let ids = try store.identities(for: owner)
        let (entry, _) = try store.setKey(owner: owner, try KeySetRequest(slug: try Slug(validating: slug), vault: .openBao, exid: "secret/x#f", mech: nil,
                                                                         maxDuration: nil, value: nil, addr: addr, cacert: cacert), identities: ids)
        return entry
    }

    private func settings(_ edit: (inout OpenBaoSettings) -> Void = { _ in }) -> OpenBaoSettings {
        var s = OpenBaoSettings()
        edit(&s)
        return s
    }

    private func token(_ login: OpenBaoLogin) -> String? {
        guard case .token(let t) = login else { return nil }
        return t.withBytes { String(decoding: $0, as: UTF8.self) }
    }

    func testTheAddressIsTheKeysThenSetDefaultsThenBAOADDRThenVAULTADDR() throws {
        let plain = try entry("acme.prod.A"), own = try entry("acme.prod.B", addr: "https://bao.example:8200")
        let env = ["BAO_ADDR": "https://bao.example:8200", "VAULT_ADDR": "https://vault.example:8200"]
        XCTAssertEqual(try OpenBaoFetch.targets([plain], settings: settings(), owner: owner, environment: env).map(\.target.address), ["https://bao.example:8200"])
        XCTAssertEqual(try OpenBaoFetch.targets([plain], settings: settings(), owner: owner, environment: ["VAULT_ADDR": "https://vault.example:8200"]).map(\.target.address),
                       ["https://vault.example:8200"])
        let configured = settings { $0.addr = "https://bao.example:8200" }
        let groups = try OpenBaoFetch.targets([plain, own], settings: configured, owner: owner, environment: ["BAO_ADDR": "https://elsewhere.example"])
        XCTAssertEqual(groups.count, 1, "one server, one login")
        XCTAssertEqual(groups[0].entries.map(\.slug.key), ["A", "B"])
    }

    func testAKeyNamingAnotherServerIsRefusedAndNoAddressSaysWhereToGiveOne() throws {
        let other = try entry("acme.prod.C", addr: "https://other.example")
        XCTAssertThrowsError(try OpenBaoFetch.targets([other], settings: settings { $0.addr = "https://bao.example" }, owner: owner, environment: [:])) { error in
            guard case OpenBaoError.otherServer(let key, _, let login, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "acme.prod.C")
            XCTAssertEqual(login, "https://bao.example:443")
        }
        XCTAssertThrowsError(try OpenBaoFetch.targets([other], settings: settings(), owner: owner, environment: [:])) { error in
            guard case OpenBaoError.otherServer(_, _, nil, _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try OpenBaoFetch.targets([try entry("acme.prod.D")], settings: settings(), owner: owner, environment: [:])) { error in
            XCTAssertEqual(error as? OpenBaoSetupError, OpenBaoSetupError(.usage, "no OpenBao address for acme.prod.D", remedy: .giveAddress, owner: "robo"))
        }
        XCTAssertThrowsError(try OpenBaoFetch.targets([try entry("acme.prod.E")], settings: settings(), owner: owner, environment: ["BAO_ADDR": "http://bao.example:8200"])) { error in
            guard case OpenBaoError.plainHTTP = error else { return XCTFail("plain http off this machine: \(error)") }
        }
        XCTAssertEqual(try OpenBaoFetch.targets([try entry("acme.prod.F")], settings: settings(), owner: owner,
                                                environment: ["BAO_ADDR": "http://127.0.0.1:8200"]).count, 1, "plain http on loopback is allowed")
    }

    func testTheCAIsTheKeysThenSetDefaultsThenBAOCACERTThenVAULTCACERT() throws {
        let plain = try entry("acme.prod.A"), own = try entry("acme.prod.B", cacert: "/etc/key-ca.pem")
        let env = ["BAO_ADDR": "https://bao.example", "BAO_CACERT": "/env/bao.pem", "VAULT_CACERT": "/env/vault.pem"]
        func cas(_ s: OpenBaoSettings, _ env: [String: String]) throws -> [String?] {
            try OpenBaoFetch.targets([plain, own], settings: s, owner: owner, environment: env).map(\.target.caFile).sorted { ($0 ?? "") < ($1 ?? "") }
        }
        XCTAssertEqual(try cas(settings(), env), ["/env/bao.pem", "/etc/key-ca.pem"])
        XCTAssertEqual(try cas(settings { $0.cacert = "/default.pem" }, env), ["/default.pem", "/etc/key-ca.pem"])
        XCTAssertEqual(try cas(settings(), ["BAO_ADDR": "https://bao.example", "VAULT_CACERT": "/env/vault.pem"]), ["/env/vault.pem", "/etc/key-ca.pem"])
    }

    func testNamespaceAndTimeoutPrecedence() {
        XCTAssertEqual(OpenBaoFetch.namespace(settings { $0.namespace = "team" }, ["BAO_NAMESPACE": "env"]), "team")
        XCTAssertEqual(OpenBaoFetch.namespace(settings(), ["BAO_NAMESPACE": "bao", "VAULT_NAMESPACE": "vault"]), "bao")
        XCTAssertEqual(OpenBaoFetch.namespace(settings(), ["VAULT_NAMESPACE": "vault"]), "vault")
        XCTAssertNil(OpenBaoFetch.namespace(settings(), [:]))

        XCTAssertEqual(OpenBaoFetch.timeout([:]), 30)
        XCTAssertEqual(OpenBaoFetch.timeout(["BAO_CLIENT_TIMEOUT": "5s", "VAULT_CLIENT_TIMEOUT": "9"]), 5)
        XCTAssertEqual(OpenBaoFetch.timeout(["VAULT_CLIENT_TIMEOUT": "9"]), 9)
        XCTAssertEqual(OpenBaoFetch.timeout(["BAO_CLIENT_TIMEOUT": "0"]), 30, "not a timeout")
        XCTAssertEqual(OpenBaoFetch.timeout(["BAO_CLIENT_TIMEOUT": "601"]), 30, "past ten minutes")
        XCTAssertEqual(OpenBaoFetch.timeout(["BAO_CLIENT_TIMEOUT": "soon"]), 30)
    }

    func testTheTokenLoginTakesBAOTOKENThenVAULTTOKENThenTheTokenFile() throws {
        let manifest = try store.load(owner: owner, identities: try store.identities(for: owner))
        let home = dir.file("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Data("file-token\n".utf8).write(to: home.appendingPathComponent(".vault-token"))
        func login(_ env: [String: String]) throws -> OpenBaoLogin {
            try OpenBaoFetch.login(settings(), manifest: manifest, owner: owner, interaction: .nonInteractive, environment: env)
        }
        XCTAssertEqual(token(try login(["BAO_TOKEN": "bao", "VAULT_TOKEN": "vault", "HOME": home.path])), "bao")
        XCTAssertEqual(token(try login(["VAULT_TOKEN": "vault", "HOME": home.path])), "vault")
        XCTAssertEqual(token(try login(["HOME": home.path])), "file-token", "~/.vault-token, its newline dropped")
        XCTAssertThrowsError(try login(["HOME": dir.file("nohome").path])) { error in
            // The remedy is typed: the CLI words it (`keyrack set-default --for robo --openbao-login cert|approle`, OpenBaoTests).
            XCTAssertEqual(error as? OpenBaoSetupError, OpenBaoSetupError(.notGranted, "no OpenBao login for 'robo'", remedy: .logIn, owner: "robo"))
        }
    }

    func testAppRoleNeedsItsTwoKeysAndACertLoginAValidSlot() throws {
        let manifest = try store.load(owner: owner, identities: try store.identities(for: owner))
        XCTAssertThrowsError(try OpenBaoFetch.login(settings { $0.login = .approle }, manifest: manifest, owner: owner, interaction: .nonInteractive, environment: [:])) { error in
            XCTAssertEqual(error as? OpenBaoSetupError, OpenBaoSetupError(.notGranted, "the AppRole login of 'robo' needs its two os.secure keys", remedy: .nameAppRoleKeys, owner: "robo"))
        }
        let role = try Slug(validating: "@all.all.ROLE_ID"), secret = try Slug(validating: "@all.all.SECRET_ID")
        XCTAssertThrowsError(try OpenBaoFetch.login(settings { $0.login = .approle; $0.roleIdKey = role; $0.secretIdKey = secret },
                                                    manifest: manifest, owner: owner, interaction: .nonInteractive, environment: [:])) { error in
            XCTAssertEqual(error as? OpenBaoSetupError, OpenBaoSetupError(.notGranted, "the AppRole login of 'robo' reads @all.all.ROLE_ID, which has no os.secure value",
                                                                          remedy: .storeAppRoleKey, owner: "robo"))
        }
        XCTAssertThrowsError(try OpenBaoFetch.login(settings { $0.login = .cert; $0.slot = "zz" }, manifest: manifest, owner: owner,
                                                    interaction: .nonInteractive, environment: [:])) { error in
            XCTAssertEqual(error as? OpenBaoSetupError, OpenBaoSetupError(.usage, "invalid OpenBao login slot 'zz'", remedy: .chooseLoginSlot(signature: false), owner: "robo"))
        }
    }

    func testAGitHubOIDCKeyNeedsTheActionsLoginAndADynamicSecretALeaseRole() throws {
        let ids = try store.identities(for: owner)
        let (oidc, _) = try store.setKey(owner: owner, try KeySetRequest(slug: try Slug(validating: "acme.prod.OIDC"), vault: .openBao, exid: "secret/x#f",
                                                                        mech: .ephemeralViaGithubOidc, maxDuration: nil, value: nil), identities: ids)
        XCTAssertThrowsError(try OpenBaoFetch.checkMechanisms([oidc], settings: settings(), owner: owner)) { error in
            let refusal = error as? OpenBaoSetupError
            XCTAssertTrue(refusal?.problem.hasPrefix("acme.prod.OIDC is EPHEMERAL_VIA_GITHUB_OIDC, but the OpenBao login of 'robo' is not the GitHub Actions ID token") == true, "\(error)")
            XCTAssertEqual(refusal?.remedy, .useGitHubOIDCLogin)
            XCTAssertEqual(refusal?.kind, .notGranted)
        }
        XCTAssertNoThrow(try OpenBaoFetch.checkMechanisms([oidc], settings: settings { $0.login = .jwt }, owner: owner))
        XCTAssertThrowsError(try OpenBaoFetch.checkMechanisms([oidc], settings: settings { $0.login = .jwt; $0.jwtSource = .card }, owner: owner))

        // The fetch checks it first: with a token login and a server that does not listen, the
        // refusal is the mechanism's, so no connection (and no ID token request) was tried.
        var manifest = try store.load(owner: owner, identities: ids)
        manifest.openbao = settings { $0.login = .token; $0.addr = "http://127.0.0.1:1" }
        XCTAssertThrowsError(try OpenBaoFetch.fetch([oidc], manifest: manifest, owner: owner, interaction: .nonInteractive,
                                                    environment: ["BAO_TOKEN": "s.person"])) { error in
            XCTAssertEqual((error as? OpenBaoSetupError)?.remedy, .useGitHubOIDCLogin, "\(error)")
        }
        // The mechanism belongs to the openbao (or aws.config) vault.
        XCTAssertThrowsError(try KeySetRequest(slug: try Slug(validating: "acme.prod.X"), vault: .osSecure, exid: nil, mech: .ephemeralViaGithubOidc,
                                               maxDuration: nil, value: [1])) { error in
            XCTAssertTrue(((error as? KeyrackError)?.message ?? "").hasPrefix("mech EPHEMERAL_VIA_GITHUB_OIDC needs vault openbao or aws.config"), "\(error)")
            XCTAssertEqual((error as? KeyrackError)?.remedy, .vaultFor(.ephemeralViaGithubOidc))
        }
    }

    /// The library's lines (problem and remedy in its words) name no command or option of
    /// keyrack: the CLI words the remedies (OpenBaoError+Text; OpenBaoTests and OpenBaoLeaseTests
    /// check the printed lines).
    func testTheOpenBaoRemediesNameNoCommandOrFlag() {
        let remedies: [OpenBaoSetupError.Remedy] = [.giveAddress, .logIn, .nameAppRoleKeys, .storeAppRoleKey, .chooseLoginSlot(signature: true),
                                                    .chooseLoginSlot(signature: false), .setLeaseRole, .useGitHubOIDCLogin, .makeCertificate(slot: "9a")]
        for r in remedies { assertNamesNoCommandOrFlag(OpenBaoSetupError(.usage, "p", remedy: r, owner: "robo").description) }
        let errors: [OpenBaoError] = [.untrustedCertificate(address: "https://h:1"), .hostMismatch(address: "https://h:1", host: "h"),
                                      .unreachable(address: "https://h:1", reason: "refused"), .forbidden(address: "https://h:1", path: "p"),
                                      .missingPath(address: "https://h:1", path: "p"), .missingField(path: "p", field: "f", available: []),
                                      .fieldNotText(path: "p", field: "f"), .noCardCertificate,
                                      .otherServer(key: "k", address: "https://a:1", loginServer: "https://b:1", owner: "robo")]
        for e in errors { assertNamesNoCommandOrFlag(e.description) }
        XCTAssertEqual(OpenBaoError.untrustedCertificate(address: "https://h:1").isUnreachable, true, "exit 1, as other TLS failures")
    }
}
