import AgePlugin
import Foundation
import XCTest

/// The identity-v1 state machine over real pipes: this test plays the age client, byte for byte
/// as the spec writes the dialogue, and a scripted handler plays the keys.
final class IdentityV1Tests: XCTestCase {
    /// A handler that records what phase 1 delivered and runs `script` as phase 2.
    final class Scripted: IdentityPluginHandler, @unchecked Sendable {
        var request: IdentityV1Request?
        let script: (IdentityV1Session) throws -> Void
        init(_ script: @escaping (IdentityV1Session) throws -> Void) { self.script = script }
        func unwrap(_ request: IdentityV1Request, session: IdentityV1Session) throws {
            self.request = request
            try script(session)
        }
    }

    /// Runs the plugin side on a thread; returns the client's ends (write to it, read from it).
    private func start(_ handler: Scripted) throws -> (toPlugin: PluginWriter, fromPlugin: PluginReader, done: DispatchSemaphore, error: () -> Error?) {
        var a: [Int32] = [0, 0], b: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&a), 0)
        XCTAssertEqual(pipe(&b), 0)
        let done = DispatchSemaphore(value: 0)
        let box = ErrorBox()
        let (input, output) = (a[0], b[1])
        Thread.detachNewThread {
            do { try IdentityV1.serve(reader: PluginReader(fd: input), writer: PluginWriter(fd: output), handler: handler) } catch { box.error = error }
            close(output)
            done.signal()
        }
        return (PluginWriter(fd: a[1]), PluginReader(fd: b[0]), done, { box.error })
    }

    final class ErrorBox: @unchecked Sendable { var error: Error? }

    func testPhase1IgnoresGreaseAndGroupsStanzasByFile() throws {
        let handler = Scripted { _ in }
        let p = try start(handler)
        let body1 = [UInt8](repeating: 7, count: 32), body2 = [UInt8](repeating: 9, count: 48)
        try p.toPlugin.send(PluginStanza("add-identity", ["AGE-PLUGIN-KEYRACK-1ABC"]))
        try p.toPlugin.send(PluginStanza("grease-x", ["a", "b"], body: [1, 2, 3]))
        try p.toPlugin.send(PluginStanza("recipient-stanza", ["0", "X25519", "share"], body: body1))
        try p.toPlugin.send(PluginStanza("recipient-stanza", ["0", "piv-p256", "tag", "epk"], body: body2))
        try p.toPlugin.send(PluginStanza("add-identity", ["AGE-PLUGIN-KEYRACK-1DEF"]))
        try p.toPlugin.send(PluginStanza("recipient-stanza", ["2", "p256tag", "t", "e"], body: body1))
        try p.toPlugin.send(PluginStanza("done"))
        XCTAssertEqual(try p.fromPlugin.next(), PluginStanza("done"), "a handler that unwraps nothing just ends phase 2")
        XCTAssertEqual(p.done.wait(timeout: .now() + 10), .success)
        XCTAssertNil(p.error())
        let r = try XCTUnwrap(handler.request)
        XCTAssertEqual(r.identities, ["AGE-PLUGIN-KEYRACK-1ABC", "AGE-PLUGIN-KEYRACK-1DEF"])
        XCTAssertEqual(r.files.map(\.index), [0, 2])
        XCTAssertEqual(r.files[0].stanzas, [PluginStanza("X25519", ["share"], body: body1), PluginStanza("piv-p256", ["tag", "epk"], body: body2)])
        XCTAssertEqual(r.files[1].stanzas, [PluginStanza("p256tag", ["t", "e"], body: body1)])
    }

    func testPhase2SecretFileKeysOncePerFileAndErrors() throws {
        let key = [UInt8]((0..<16).map { UInt8($0) })
        var secret: [UInt8]?
        var declined: [UInt8]?? = .some(nil)
        let handler = Scripted { s in
            secret = try s.requestSecret("Enter PIN for YubiKey with serial 1")
            try s.fileKey(file: 0, key)
            try s.fileKey(file: 0, key)  // a second key for the same file is never sent
            declined = .some(try s.requestSecret("again?"))
            try s.stanzaError(file: 1, stanza: 0, "bad stanza")
            try s.identityError(0, "locked")
            XCTAssertFalse(try s.message("hello"), "unsupported counts as fail")
        }
        let p = try start(handler)
        try p.toPlugin.send(PluginStanza("add-identity", ["X"]))
        try p.toPlugin.send(PluginStanza("done"))
        XCTAssertEqual(try p.fromPlugin.next(), PluginStanza("request-secret", body: Array("Enter PIN for YubiKey with serial 1".utf8)))
        try p.toPlugin.send(PluginStanza("ok", body: Array("123456".utf8)))
        XCTAssertEqual(try p.fromPlugin.next(), PluginStanza("file-key", ["0"], body: key))
        try p.toPlugin.send(PluginStanza("ok"))
        XCTAssertEqual(try p.fromPlugin.next().command, "request-secret", "the duplicate file-key was dropped")
        try p.toPlugin.send(PluginStanza("fail"))
        XCTAssertEqual(try p.fromPlugin.next(), PluginStanza("error", ["stanza", "1", "0"], body: Array("bad stanza".utf8)))
        try p.toPlugin.send(PluginStanza("ok"))
        XCTAssertEqual(try p.fromPlugin.next(), PluginStanza("error", ["identity", "0"], body: Array("locked".utf8)))
        try p.toPlugin.send(PluginStanza("ok"))
        XCTAssertEqual(try p.fromPlugin.next().command, "msg")
        try p.toPlugin.send(PluginStanza("unsupported"))
        XCTAssertEqual(try p.fromPlugin.next(), PluginStanza("done"))
        XCTAssertEqual(p.done.wait(timeout: .now() + 10), .success)
        XCTAssertNil(p.error())
        XCTAssertEqual(secret, Array("123456".utf8))
        XCTAssertEqual(declined, .some(nil), "fail → nil")
    }

    func testFileIndicesMustIncreaseAndClientsMustAnswer() throws {
        let p = try start(Scripted { _ in })
        try p.toPlugin.send(PluginStanza("recipient-stanza", ["1", "X25519", "a"], body: [1]))
        try p.toPlugin.send(PluginStanza("recipient-stanza", ["0", "X25519", "a"], body: [1]))
        XCTAssertEqual(p.done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(p.error() as? PluginProtocolError, .malformed("file indices must increase (0 after 1)"))

        let q = try start(Scripted { s in _ = try s.requestSecret("pin") })
        try q.toPlugin.send(PluginStanza("done"))
        _ = try q.fromPlugin.next()
        try q.toPlugin.send(PluginStanza("file-key", ["0"]))
        XCTAssertEqual(q.done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(q.error() as? PluginProtocolError, .unexpectedResponse("'file-key' to request-secret"))
    }
}
