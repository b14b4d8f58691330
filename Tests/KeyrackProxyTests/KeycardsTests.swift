import KeyrackNames
import XCTest
@testable import KeyrackProxy

/// Substitution (issue 27): only the cards allowed for a destination, in one pass, each value
/// encoded for where it stands; plain http only to loopback; an ended grant is no longer put in.
final class KeycardsTests: XCTestCase {
    private func cards(now: @escaping @Sendable () -> UInt64 = { 0 }, notes: @escaping @Sendable (String) -> Void = { _ in }) -> Keycards {
        Keycards([
            Keycard(name: "GITHUB_TOKEN", placeholder: Array("ghs_PLACEHOLDER1".utf8), value: Array("ghs_realvalue/+=".utf8),
                    destinations: [Destination("api.github.com")!, Destination("127.0.0.1:8080")!], expiresAtMilliseconds: 1000),
            Keycard(name: "MULTILINE", placeholder: Array("PLACEHOLDER2xx".utf8), value: Array("a\r\nX-Injected: 1".utf8),
                    destinations: [Destination("*.example.com")!]),
        ], now: now, note: notes)
    }

    func testAllowedFollowsDestinationsPortsAndScheme() {
        let k = cards()
        XCTAssertEqual(k.allowed(host: "api.github.com", port: 443, tls: true), [0])
        XCTAssertEqual(k.allowed(host: "api.github.com", port: 443, tls: false), [], "plain http to a remote host never gets a value")
        XCTAssertEqual(k.allowed(host: "127.0.0.1", port: 8080, tls: false), [0], "plain http to a loopback destination may")
        XCTAssertEqual(k.allowed(host: "evil.com", port: 443, tls: true), [])
        XCTAssertEqual(k.allowed(host: "a.example.com", port: 443, tls: true), [1])
        XCTAssertTrue(k.names(host: "a.example.com", port: 443))
        XCTAssertFalse(k.names(host: "example.com", port: 443))
    }

    func testEndedGrantIsNoLongerSubstitutedAndSaidOnce() {
        // The clock and notes are @Sendable closures: the test's state is in a box (one thread here).
        final class Seen: @unchecked Sendable { var clock: UInt64 = 0; var notes: [String] = [] }
        let seen = Seen()
        let k = cards(now: { seen.clock }, notes: { seen.notes.append($0) })
        XCTAssertEqual(k.allowed(host: "api.github.com", port: 443, tls: true), [0])
        seen.clock = 1000
        XCTAssertEqual(k.allowed(host: "api.github.com", port: 443, tls: true), [])
        XCTAssertEqual(k.allowed(host: "api.github.com", port: 443, tls: true), [])
        XCTAssertEqual(seen.notes.count, 1)
        XCTAssertTrue(seen.notes[0].contains("GITHUB_TOKEN") && !seen.notes[0].contains("realvalue"), seen.notes[0])
    }

    func testEncodingsKeepTheSurroundingsIntact() {
        let k = cards()
        func sub(_ s: String, _ e: Encoding, _ selected: [Int] = [0, 1]) -> String {
            String(decoding: k.substitute(Array(s.utf8)[...], cards: selected, as: e).bytes, as: UTF8.self)
        }
        XCTAssertEqual(sub("Bearer ghs_PLACEHOLDER1", .header), "Bearer ghs_realvalue/+=")
        XCTAssertEqual(sub("/x?t=ghs_PLACEHOLDER1&u=1", .percent), "/x?t=ghs_realvalue%2F%2B%3D&u=1")
        XCTAssertEqual(sub(#"{"t":"PLACEHOLDER2xx"}"#, .json), #"{"t":"a\u000d\u000aX-Injected: 1"}"#)
        XCTAssertEqual(sub("x PLACEHOLDER2xx", .header), "x PLACEHOLDER2xx", "a value with CR/LF never goes into a header")
        XCTAssertEqual(sub("ghs_PLACEHOLDER1 ghs_PLACEHOLDER1", .raw, [1]), "ghs_PLACEHOLDER1 ghs_PLACEHOLDER1", "only the selected cards")
        XCTAssertEqual(k.substitute(Array("ghs_PLACEHOLDER1ghs_PLACEHOLDER1".utf8)[...], cards: [0], as: .raw).count, 2)
        XCTAssertEqual(k.substitutionCount, 5)
    }

    func testWipeForgetsEveryValue() {
        let k = cards()
        k.wipe()
        XCTAssertEqual(k.allowed(host: "api.github.com", port: 443, tls: true), [])
        XCTAssertEqual(String(decoding: k.substitute(Array("ghs_PLACEHOLDER1".utf8)[...], cards: [], as: .raw).bytes, as: UTF8.self), "ghs_PLACEHOLDER1")
    }
}

/// The answer's side: a value the server echoes goes back to the program as its placeholder,
/// wherever the body's parts happen to split it.
final class EchoMaskTests: XCTestCase {
    func testValuesSplitAcrossPartsAreStillReplaced() {
        let value = Array("ghs_realvalue123".utf8), placeholder = Array("ghs_placehold999".utf8)
        let body = Array("a: ghs_realvalue123; b: ghs_realvalue123!".utf8)
        for split in 1..<body.count {
            var mask = EchoMask(pairs: [(value, placeholder)])
            let out = mask.feed(Array(body[..<split])) + mask.feed(Array(body[split...])) + mask.finish()
            XCTAssertEqual(String(decoding: out, as: UTF8.self), "a: ghs_placehold999; b: ghs_placehold999!", "split at \(split)")
        }
        XCTAssertEqual(EchoMask(pairs: [(value, placeholder)]).masked("Bearer ghs_realvalue123"), "Bearer ghs_placehold999")
    }
}
