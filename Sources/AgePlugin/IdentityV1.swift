/// The plugin side of the `identity-v1` state machine (C2SP age-plugin.md):
///
/// Phase 1 (client → plugin, uni-directional, ends with `done`): `add-identity IDENTITY` and
/// `recipient-stanza FILE_INDEX TYPE ARGS… ; BODY`; anything else is grease and ignored.
/// Phase 2 (plugin → client, bi-directional): the handler's `msg`, `request-secret`, `file-key`
/// and `error` commands, each answered by the client, then `done`.
///
/// The machine knows nothing of keys: `IdentityPluginHandler` unwraps. It enforces one rule of
/// the protocol itself: at most one file key per file.
public struct IdentityV1Request: Equatable, Sendable {
    public var identities: [String]
    /// Stanzas by file index, in the order the client sent them.
    public var files: [(index: Int, stanzas: [PluginStanza])]

    public static func == (a: IdentityV1Request, b: IdentityV1Request) -> Bool {
        a.identities == b.identities && a.files.map(\.index) == b.files.map(\.index) && a.files.map(\.stanzas) == b.files.map(\.stanzas)
    }
}

/// Phase 2 as the handler sees it: the client's UI and the results channel.
public protocol IdentityV1Session: AnyObject {
    /// Shows a message; false when the client has no UI for it.
    @discardableResult func message(_ text: String) throws -> Bool
    /// Asks the user for a secret (PIN); nil when the client declined (`fail`).
    func requestSecret(_ prompt: String) throws -> [UInt8]?
    func fileKey(file: Int, _ key: [UInt8]) throws
    func identityError(_ index: Int, _ message: String) throws
    func stanzaError(file: Int, stanza: Int, _ message: String) throws
    func internalError(_ message: String) throws
}

public protocol IdentityPluginHandler {
    func unwrap(_ request: IdentityV1Request, session: IdentityV1Session) throws
}

public enum IdentityV1 {
    /// Reads phase 1 from `reader`.
    public static func readPhase1(_ reader: PluginReader) throws -> IdentityV1Request {
        var identities: [String] = []
        var files: [(index: Int, stanzas: [PluginStanza])] = []
        while true {
            let s = try reader.next()
            switch s.command {
            case "done":
                return IdentityV1Request(identities: identities, files: files)
            case "add-identity":
                guard s.arguments.count == 1 else { throw PluginProtocolError.malformed("add-identity takes one argument") }
                identities.append(s.arguments[0])
            case "recipient-stanza":
                guard s.arguments.count >= 2, let index = Int(s.arguments[0]), index >= 0, String(index) == s.arguments[0] else {
                    throw PluginProtocolError.malformed("recipient-stanza takes a file index and a stanza")
                }
                let stanza = PluginStanza(s.arguments[1], Array(s.arguments.dropFirst(2)), body: s.body)
                if let last = files.last, last.index == index {
                    files[files.count - 1].stanzas.append(stanza)
                } else {
                    guard files.last.map({ index > $0.index }) ?? true else {
                        throw PluginProtocolError.malformed("file indices must increase (\(index) after \(files.last!.index))")
                    }
                    files.append((index, [stanza]))
                }
            default:
                continue  // grease, or a command of a later revision
            }
        }
    }

    /// Runs the whole machine: phase 1, the handler's phase 2, `done`.
    public static func serve(reader: PluginReader, writer: PluginWriter, handler: IdentityPluginHandler) throws {
        let request = try readPhase1(reader)
        let session = Session(reader: reader, writer: writer)
        try handler.unwrap(request, session: session)
        try writer.send(PluginStanza("done"))
    }

    final class Session: IdentityV1Session {
        let reader: PluginReader
        let writer: PluginWriter
        private var keyed = Set<Int>()

        init(reader: PluginReader, writer: PluginWriter) {
            self.reader = reader
            self.writer = writer
        }

        /// Sends `stanza` and reads the client's answer: `ok` (with its arguments and body) or
        /// nil for `fail`; `unsupported` counts as `fail`.
        private func ask(_ stanza: PluginStanza) throws -> PluginStanza? {
            try writer.send(stanza)
            let reply = try reader.next()
            switch reply.command {
            case "ok": return reply
            case "fail", "unsupported": return nil
            default: throw PluginProtocolError.unexpectedResponse("'\(reply.command.prefix(40))' to \(stanza.command)")
            }
        }

        func message(_ text: String) throws -> Bool {
            try ask(PluginStanza("msg", body: Array(text.utf8))) != nil
        }

        func requestSecret(_ prompt: String) throws -> [UInt8]? {
            try ask(PluginStanza("request-secret", body: Array(prompt.utf8)))?.body
        }

        func fileKey(file: Int, _ key: [UInt8]) throws {
            guard keyed.insert(file).inserted else { return }
            _ = try ask(PluginStanza("file-key", [String(file)], body: key))
        }

        func identityError(_ index: Int, _ message: String) throws {
            _ = try ask(PluginStanza("error", ["identity", String(index)], body: Array(message.utf8)))
        }

        func stanzaError(file: Int, stanza: Int, _ message: String) throws {
            _ = try ask(PluginStanza("error", ["stanza", String(file), String(stanza)], body: Array(message.utf8)))
        }

        func internalError(_ message: String) throws {
            _ = try ask(PluginStanza("error", ["internal"], body: Array(message.utf8)))
        }
    }
}
