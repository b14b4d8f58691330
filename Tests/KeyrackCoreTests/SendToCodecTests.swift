import XCTest
@testable import KeyrackCore
import KeyrackNames

/// `sendTo:` of a key (issue 27): written sorted and only when set, read back exactly, and a hand
/// edit that breaks the rule `set --send-to` applies is refused with its line.
final class SendToCodecTests: XCTestCase {
    private func manifest(sendTo: [Destination]) throws -> HostManifest {
        let slug = try Slug(validating: "acme.prod.GITHUB_TOKEN")
        var m = HostManifest(owner: OwnerRecord(name: try OwnerName("seaturtle"), via: .ssh, pubkey: "ssh-ed25519 AAAA seaturtle"))
        m.keys[slug] = KeyEntry(slug: slug, vault: .osSecure, exid: nil, mech: .permanentViaReplica, maxDuration: nil,
                                sendTo: sendTo, createdAt: "2026-01-15T10:00:00Z", updatedAt: "2026-01-15T10:00:00Z")
        m.secrets[slug] = Array("ghs_x".utf8)
        return m
    }

    func testSendToRoundTripsSortedAndDeduplicated() throws {
        let given = [Destination("api.github.com")!, Destination("*.githubusercontent.com")!, Destination("127.0.0.1:8443")!,
                     Destination("[::1]:9000")!, Destination("API.github.com:443")!]
        let m = try manifest(sendTo: given)
        let yaml = try m.encodeYAML()
        let text = String(decoding: yaml, as: UTF8.self)
        XCTAssertTrue(text.contains("    sendTo:\n    - \"*.githubusercontent.com\"\n    - \"127.0.0.1:8443\"\n    - \"[::1]:9000\"\n    - api.github.com\n"), text)
        let back = try HostManifest.decode(yaml: yaml)
        XCTAssertEqual(back, m)
        XCTAssertEqual(back.keys.values.first?.sendTo.map(\.description), ["*.githubusercontent.com", "127.0.0.1:8443", "[::1]:9000", "api.github.com"])
        XCTAssertEqual(try back.encodeYAML(), yaml, "a second write must be byte-identical")
    }

    func testNoSendToIsNotWritten() throws {
        let yaml = String(decoding: try manifest(sendTo: []).encodeYAML(), as: UTF8.self)
        XCTAssertFalse(yaml.contains("sendTo"), yaml)
        XCTAssertEqual(try HostManifest.decode(yaml: Array(yaml.utf8)).keys.values.first?.sendTo, [])
    }

    func testHandEditedBadDestinationIsRefusedWithItsLine() throws {
        let yaml = String(decoding: try manifest(sendTo: [Destination("api.github.com")!]).encodeYAML(), as: UTF8.self)
        for bad in ["https://api.github.com", "user@api.github.com", "api.github.com/path", "*", "evil.com#.github.com"] {
            let edited = yaml.replacingOccurrences(of: "- api.github.com", with: "- '\(bad)'")
            XCTAssertThrowsError(try HostManifest.decode(yaml: Array(edited.utf8)), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("line "), "\(error)")
                XCTAssertTrue("\(error)".contains("invalid destination '\(bad)'"), "\(error)")
            }
        }
        let notAList = yaml.replacingOccurrences(of: "sendTo:\n", with: "sendTo: api.github.com\n")
            .replacingOccurrences(of: "    - api.github.com\n", with: "")
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array(notAList.utf8)))
    }
}
