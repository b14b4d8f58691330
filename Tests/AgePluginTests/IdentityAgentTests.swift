@testable import KeyrackDaemon
import XCTest

/// The daemon's identity agent with scripted identities: TTL and wiping like a grant, order of
/// identities, PIN requests, and its messages on the wire.
final class IdentityAgentTests: XCTestCase {
    final class Fake: AgentIdentity {
        var answer: (_ files: [[AgentStanza]], _ secret: [UInt8]?) throws -> [AgentFileResult]
        var closed = 0
        var calls = 0
        init(_ answer: @escaping (_ files: [[AgentStanza]], _ secret: [UInt8]?) throws -> [AgentFileResult]) { self.answer = answer }
        func unwrap(files: [[AgentStanza]], secret: [UInt8]?) throws -> [AgentFileResult] { calls += 1; return try answer(files, secret) }
        func close() { closed += 1 }
    }

    let file = [AgentStanza(type: "X25519", arguments: ["a"], body: [1, 2])]
    let key = [UInt8](repeating: 0x42, count: 16)

    private func agent(_ identities: [Fake], clock: @escaping () -> UInt64, secrets: Box = Box()) -> IdentityAgent {
        var queue = identities
        return IdentityAgent(factory: { _, descriptor, secret in
            if descriptor == "bad" { throw AgentIdentityError.failed("unusable") }
            secrets.all.append(secret)
            return queue.removeFirst()
        }, now: clock)
    }

    final class Box { var all: [AgentSecret] = [] }

    func testHoldsForTheTTLThenWipesAndSaysLocked() throws {
        var now: UInt64 = 1000
        let secrets = Box()
        let fake = Fake { files, _ in files.map { _ in .fileKey([UInt8](repeating: 0x42, count: 16)) } }
        let a = agent([fake], clock: { now }, secrets: secrets)
        XCTAssertThrowsError(try a.unwrap(files: [file], secret: nil)) { error in
            XCTAssertEqual(error as? DaemonError, .protocolError(.agentLocked, "the identity agent is not unlocked"))
        }
        let status = try a.start([AgentKeyRequest(kind: "age", label: "primary (age)", descriptor: "d", secret: Array("AGE-SECRET-KEY-1…".utf8))], ttlMilliseconds: 60_000)
        XCTAssertEqual(status.labels, ["primary (age)"])
        XCTAssertEqual(status.remainingMilliseconds, 60_000)
        XCTAssertEqual(secrets.all.first?.withBytes { Array($0) }, Array("AGE-SECRET-KEY-1…".utf8), "the secret sits in guarded memory")
        XCTAssertEqual(try a.unwrap(files: [file, file], secret: nil), [.fileKey(key), .fileKey(key)])
        XCTAssertEqual(a.status()?.unwrapped, 2)

        now += 59_999
        XCTAssertNotNil(a.status(), "still live 1 ms before the deadline")
        now += 1
        XCTAssertNil(a.status(), "dead at the deadline")
        XCTAssertEqual(fake.closed, 1, "expiry closes the identity (a card session)")
        XCTAssertEqual(secrets.all.first?.withBytes { $0.count }, 0, "expiry wipes the key material")
        XCTAssertThrowsError(try a.unwrap(files: [file], secret: nil))
        XCTAssertFalse(a.stop(), "nothing left to relock")
    }

    func testIdentitiesInOrderFailuresFallThroughPINRequestsDoNot() throws {
        let card = Fake { _, secret in
            guard secret == Array("123456".utf8) else { throw AgentIdentityError.needSecret(prompt: "Enter PIN for YubiKey with serial 7") }
            return [.fileKey([UInt8](repeating: 0x42, count: 16)), .notMine]
        }
        let backup = Fake { files, _ in files.map { _ in .fileKey([UInt8](repeating: 0x99, count: 16)) } }
        let a = agent([card, backup], clock: { 5 })
        _ = try a.start([AgentKeyRequest(kind: "yubikey", label: "primary", descriptor: "d", secret: []),
                         AgentKeyRequest(kind: "age", label: "backup", descriptor: "d", secret: [1])], ttlMilliseconds: 1000)
        XCTAssertThrowsError(try a.unwrap(files: [file, file], secret: nil)) { error in
            XCTAssertEqual(error as? AgentIdentityError, .needSecret(prompt: "Enter PIN for YubiKey with serial 7"))
        }
        XCTAssertEqual(backup.calls, 0, "a PIN request is answered before any backup is tried")
        XCTAssertEqual(try a.unwrap(files: [file, file], secret: Array("123456".utf8)), [.fileKey(key), .fileKey([UInt8](repeating: 0x99, count: 16))],
                       "the second file is not the card's: the backup opens it")
        XCTAssertEqual(backup.calls, 1)

        card.answer = { _, _ in throw AgentIdentityError.failed("YubiKey 7: no card with serial 7 is plugged in") }
        XCTAssertEqual(try a.unwrap(files: [file], secret: nil), [.fileKey([UInt8](repeating: 0x99, count: 16))], "card away: the backup answers")
        backup.answer = { files, _ in files.map { _ in .notMine } }
        XCTAssertThrowsError(try a.unwrap(files: [file], secret: nil)) { error in
            XCTAssertEqual(error as? AgentIdentityError, .failed("YubiKey 7: no card with serial 7 is plugged in"), "nothing opened it: the card's reason")
        }
    }

    /// Issue 24: a refused file (the owner's own manifest) is answered as bad with the reason
    /// before any identity, or card, sees it; the other files of the request are opened.
    func testARefusedFileReachesNoIdentityAndTheOthersOpen() throws {
        final class Refuse: AgentRefusals {
            var recorded = 0
            func record() { recorded += 1 }
            func refusal(of file: [AgentStanza]) -> (stanza: Int, reason: String)? {
                file.firstIndex { $0.body == [9, 9] }.map { ($0, "this is the manifest of 'o'") }
            }
        }
        var seen: [[AgentStanza]] = []
        let fake = Fake { files, _ in seen += files; return files.map { _ in .fileKey([UInt8](repeating: 0x42, count: 16)) } }
        let refusals = Refuse()
        let a = IdentityAgent(factory: { _, _, _ in fake }, refusals: refusals, now: { 5 })
        _ = try a.start([AgentKeyRequest(kind: "age", label: "primary", descriptor: "d", secret: [1])], ttlMilliseconds: 1000)
        XCTAssertEqual(refusals.recorded, 1, "the manifest's stanzas are recorded when the agent starts")
        let manifest = [AgentStanza(type: "X25519", arguments: ["a"], body: [1, 2]), AgentStanza(type: "X25519", arguments: ["b"], body: [9, 9])]
        XCTAssertEqual(try a.unwrap(files: [manifest, file], secret: nil),
                       [.invalid(stanza: 1, message: "this is the manifest of 'o'"), .fileKey(key)])
        XCTAssertEqual(seen, [file], "the identity never saw the refused file")
        XCTAssertEqual(a.status()?.unwrapped, 1)
    }

    func testABadKeyLeavesTheAgentAsItWas() throws {
        let first = Fake { files, _ in files.map { _ in .notMine } }
        let kept = Fake { files, _ in files.map { _ in .notMine } }
        let a = agent([first, kept], clock: { 0 })
        _ = try a.start([AgentKeyRequest(kind: "age", label: "one", descriptor: "d", secret: [1])], ttlMilliseconds: 1000)
        XCTAssertThrowsError(try a.start([AgentKeyRequest(kind: "age", label: "two", descriptor: "d", secret: [1]),
                                          AgentKeyRequest(kind: "age", label: "three", descriptor: "bad", secret: [2])], ttlMilliseconds: 1000))
        XCTAssertEqual(a.status()?.labels, ["one"])
        XCTAssertEqual(kept.closed, 1, "the half-built set was closed")
        XCTAssertEqual(first.closed, 0)
    }

    func testAgentMessagesRoundTripOnTheWire() throws {
        let files = [[AgentStanza(type: "piv-p256", arguments: ["xeicbg", "A8Mg"], body: [UInt8](repeating: 3, count: 32))], []]
        let body = Request.agentUnwrap(files: files, secret: Array("123456".utf8)).encodeBody()
        guard case .agentUnwrap(let f, let s) = try Request.decode(body: body) else { return XCTFail("not an unwrap") }
        XCTAssertEqual(f, files)
        XCTAssertEqual(s, Array("123456".utf8))
        let results: [AgentFileResult] = [.fileKey(key), .notMine, .invalid(stanza: 2, message: "bad")]
        guard case .agentUnwrapped(let r) = try Response.decode(body: Response.agentUnwrapped(results).encodeBody()) else { return XCTFail() }
        XCTAssertEqual(r, results)
        guard case .agentNeedsSecret(let p) = try Response.decode(body: Response.agentNeedsSecret(prompt: "PIN?").encodeBody()) else { return XCTFail() }
        XCTAssertEqual(p, "PIN?")
        // A forged count is an error reply, not an allocation.
        var forged = Request.agentUnwrap(files: [], secret: nil).encodeBody()
        forged.replaceSubrange(forged.count - 4..<forged.count, with: [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try Request.decode(body: forged))
    }
}
