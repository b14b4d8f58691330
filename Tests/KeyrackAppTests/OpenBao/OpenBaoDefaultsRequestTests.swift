import Foundation
import KeyrackApp
import KeyrackClient
import KeyrackCore
import KeyrackNames
import TestSupport
import XCTest

/// `set-default`'s request: its rules, the settings as the manifest keeps them, the section
/// stored in an age owner's manifest (only what is given changes; a clear drops it), and the
/// answer in both forms.
final class OpenBaoDefaultsRequestTests: XCTestCase {
    private func request(_ change: (inout OpenBaoDefaultsRequest) -> Void) -> OpenBaoDefaultsRequest {
        var r = OpenBaoDefaultsRequest()
        change(&r)
        return r
    }

    private func assertRefused(_ r: OpenBaoDefaultsRequest, _ problem: OpenBaoDefaultsRequest.Problem, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try r.check(), file: file, line: line) { XCTAssertEqual($0 as? OpenBaoDefaultsRequest.Problem, problem, file: file, line: line) }
    }

    func testRefusals() {
        assertRefused(OpenBaoDefaultsRequest(), .nothingToSet)
        assertRefused(request { $0.clear = true; $0.namespace = "ns" }, .clearWithSettings)
        assertRefused(request { $0.clear = true; $0.serial = 1 }, .clearWithSettings)
        assertRefused(request { $0.slot = "9z-and-more-text" }, .invalidSlot("9z-and-mor"))
        assertRefused(request { $0.jwtMount = "jwt-a"; $0.authMount = "jwt-b" }, .mountGivenTwice)
        XCTAssertNoThrow(try request { $0.jwtMount = "jwt-a"; $0.authMount = "jwt-a" }.check(), "the same mount twice is one setting")
        XCTAssertNoThrow(try request { $0.clear = true }.check())
        // The slugs of an approle login parse under the one slug rule (KeyrackError, a usage error).
        XCTAssertThrowsError(try request { $0.roleIdKey = "not a slug" }.check()) { XCTAssertEqual(($0 as? KeyrackError)?.kind, .usage, "\($0)") }
    }

    func testTheChangesAreTypedAsTheManifestKeepsThem() throws {
        let c = try request {
            $0.cacert = "certs/ca.pem"; $0.slot = "9A"; $0.jwtMount = "gha"; $0.roleIdKey = "@all.sudo.ROLE_ID"; $0.serial = 42; $0.login = .cert
        }.changes(directory: "/work/repo")
        XCTAssertEqual(c.cacert, "/work/repo/certs/ca.pem", "a CA path is made absolute: unlock finds it from anywhere")
        XCTAssertEqual(c.slot, "9a")
        XCTAssertEqual(c.authMount, "gha", "the jwt mount is the auth mount")
        XCTAssertEqual(c.roleIdKey?.description, "@all.sudo.ROLE_ID")
        XCTAssertEqual(c.serial, 42)
        XCTAssertEqual(c.login, .cert)
        XCTAssertNil(c.addr)
    }

    /// The request and the answer share one list of fields (OpenBaoDefaultsFields): every setting
    /// given in its stored spelling comes back in the answer as given, in both forms.
    func testEverySettingGivenIsAnsweredUnderItsOwnName() throws {
        var given = OpenBaoDefaultsFields()
        (given.addr, given.cacert, given.namespace, given.login, given.authMount) = ("https://bao:8200", "/ca.pem", "team", .jwt, "gha")
        (given.certRole, given.slot, given.serial, given.roleIdKey, given.secretIdKey) = ("laptop", "9c", 42, "@all.sudo.R", "@all.sudo.S")
        (given.jwtRole, given.jwtAudience, given.jwtSource, given.leaseRole) = ("ci", "openbao", .card, "leases")
        let r = request { $0.given = given }
        XCTAssertEqual(r.namespace, "team", "a setting reads as the request's own")
        let answer = SetDefaultJSON(owner: "bot", settings: try r.changes(directory: "/"))
        XCTAssertEqual(answer.openbao, given)
        XCTAssertEqual(answer.openbao.assignments.count, 14, "\(answer.openbao.assignments)")
        XCTAssertTrue(answer.openbao.assignments.contains("jwtSource=card"))
        XCTAssertFalse(JSONLine.encode(answer).contains("null"), "every field of the answer is one the request sets")
    }

    func testOnlyWhatIsGivenChangesAndAClearDropsTheSection() throws {
        let dir = try TempDirectory("keyrack-set-default")
        defer { dir.remove() }
        let store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
        let bot = try OwnerName("bot")
        try OwnerInit.run(.init(owner: bot, spec: .age(AgeRecipientSpec()), viaGiven: true, directory: dir.url, userHome: dir.file("home")),
                          store: store, interaction: .nonInteractive, note: { _ in })
        let identities = { try store.identities(for: bot, explicitPaths: []) }
        _ = try OpenBaoDefaults.set(owner: bot, request { $0.addr = "https://bao.example.net:8200"; $0.login = .approle }, store: store, identities: identities)
        let both = try OpenBaoDefaults.set(owner: bot, request { $0.namespace = "team" }, store: store, identities: identities)
        XCTAssertEqual(both.addr, "https://bao.example.net:8200", "a setting not given is kept")
        XCTAssertEqual(both.namespace, "team")
        XCTAssertEqual(try store.load(owner: bot, identities: try identities()).openbao, both, "as stored")
        let cleared = try OpenBaoDefaults.set(owner: bot, request { $0.clear = true }, store: store, identities: identities)
        XCTAssertTrue(cleared.isEmpty)
        XCTAssertNil(try store.load(owner: bot, identities: try identities()).openbao)
    }

    func testTheAnswerNamesEachSettingInBothForms() throws {
        var s = OpenBaoSettings()
        (s.addr, s.serial, s.login, s.roleIdKey) = ("https://bao:8200", 7, .approle, try Slug(validating: "@all.sudo.R"))
        let answer = SetDefaultJSON(owner: "bot", settings: s)
        XCTAssertEqual(answer.openbao.assignments, ["addr=https://bao:8200", "login=approle", "roleIdKey=@all.sudo.R", "serial=7"])
        XCTAssertEqual(JSONLine.encode(answer),
                       #"{"owner":"bot","openbao":{"addr":"https://bao:8200","cacert":null,"namespace":null,"login":"approle","authMount":null,"# +
                       #""certRole":null,"slot":null,"serial":7,"roleIdKey":"@all.sudo.R","secretIdKey":null,"jwtRole":null,"jwtAudience":null,"# +
                       #""jwtSource":null,"leaseRole":null}}"#)
        XCTAssertEqual(SetDefaultJSON(owner: "bot", settings: OpenBaoSettings()).openbao.assignments, [])
    }
}
