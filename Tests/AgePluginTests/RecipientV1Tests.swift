import AgePlugin
import Foundation
import XCTest

/// The recipient-v1 state machine over real pipes, this test playing the age client.
final class RecipientV1Tests: XCTestCase {
    final class Scripted: RecipientPluginHandler, @unchecked Sendable {
        var request: RecipientV1Request?
        let script: (RecipientV1Request, RecipientV1Session) throws -> Void
        init(_ script: @escaping (RecipientV1Request, RecipientV1Session) throws -> Void) { self.script = script }
        func wrap(_ request: RecipientV1Request, session: RecipientV1Session) throws {
            self.request = request
            try script(request, session)
        }
    }

    private func start(_ handler: Scripted) -> (PluginWriter, PluginReader, DispatchSemaphore) {
        var a: [Int32] = [0, 0], b: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&a), 0)
        XCTAssertEqual(pipe(&b), 0)
        let done = DispatchSemaphore(value: 0)
        let (input, output) = (a[0], b[1])
        Thread.detachNewThread {
            try? RecipientV1.serve(reader: PluginReader(fd: input), writer: PluginWriter(fd: output), handler: handler)
            close(output)
            done.signal()
        }
        return (PluginWriter(fd: a[1]), PluginReader(fd: b[0]), done)
    }

    func testStanzasPerFileKeyLabelsAndNoStanzaAfterAnError() throws {
        let keys = [[UInt8](repeating: 1, count: 16), [UInt8](repeating: 2, count: 16)]
        let handler = Scripted { request, s in
            for (i, key) in request.fileKeys.enumerated() { try s.recipientStanza(file: i, PluginStanza("p256tag", ["t", "e"], body: key)) }
            try s.labels([])
            try s.recipientError(1, "not a tag recipient")
            try s.recipientStanza(file: 0, PluginStanza("p256tag", ["late"]))  // dropped: an error came first
        }
        let (client, fromPlugin, done) = start(handler)
        try client.send(PluginStanza("add-recipient", ["age1tag1aaa"]))
        try client.send(PluginStanza("grease", ["x"], body: [9]))
        try client.send(PluginStanza("wrap-file-key", body: keys[0]))
        try client.send(PluginStanza("add-recipient", ["age1tag1bbb"]))
        try client.send(PluginStanza("extension-labels"))
        try client.send(PluginStanza("wrap-file-key", body: keys[1]))
        try client.send(PluginStanza("done"))
        for (i, key) in keys.enumerated() {
            XCTAssertEqual(try fromPlugin.next(), PluginStanza("recipient-stanza", [String(i), "p256tag", "t", "e"], body: key))
            try client.send(PluginStanza("ok"))
        }
        XCTAssertEqual(try fromPlugin.next(), PluginStanza("labels"))
        try client.send(PluginStanza("ok"))
        XCTAssertEqual(try fromPlugin.next(), PluginStanza("error", ["recipient", "1"], body: Array("not a tag recipient".utf8)))
        try client.send(PluginStanza("ok"))
        XCTAssertEqual(try fromPlugin.next(), PluginStanza("done"))
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        let r = try XCTUnwrap(handler.request)
        XCTAssertEqual(r.recipients, ["age1tag1aaa", "age1tag1bbb"])
        XCTAssertEqual(r.identities, [])
        XCTAssertEqual(r.fileKeys, keys)
        XCTAssertTrue(r.labels)
    }
}
