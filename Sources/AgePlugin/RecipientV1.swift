/// The plugin side of the `recipient-v1` state machine (C2SP age-plugin.md): wrapping file keys.
///
/// Phase 1 (client → plugin, ends with `done`): `add-recipient R`, `add-identity I`,
/// `wrap-file-key ; KEY`, `extension-labels`; anything else is grease and ignored.
/// Phase 2 (plugin → client): `recipient-stanza FILE_INDEX STANZA…`, `labels`, `error`, then
/// `done`. If any recipient or identity is in error, no stanza may be sent: the handler reports
/// errors first and the machine drops stanzas after one.
public struct RecipientV1Request: Equatable, Sendable {
    public var recipients: [String]
    public var identities: [String]
    public var fileKeys: [[UInt8]]
    /// The client sent `extension-labels` and takes a `labels` answer.
    public var labels: Bool
}

public protocol RecipientV1Session: AnyObject {
    func recipientStanza(file: Int, _ stanza: PluginStanza) throws
    func labels(_ labels: [String]) throws
    func recipientError(_ index: Int, _ message: String) throws
    func identityError(_ index: Int, _ message: String) throws
}

public protocol RecipientPluginHandler {
    func wrap(_ request: RecipientV1Request, session: RecipientV1Session) throws
}

public enum RecipientV1 {
    public static func readPhase1(_ reader: PluginReader) throws -> RecipientV1Request {
        var request = RecipientV1Request(recipients: [], identities: [], fileKeys: [], labels: false)
        while true {
            let s = try reader.next()
            switch s.command {
            case "done": return request
            case "add-recipient", "add-identity":
                guard s.arguments.count == 1 else { throw PluginProtocolError.malformed("\(s.command) takes one argument") }
                if s.command == "add-recipient" { request.recipients.append(s.arguments[0]) } else { request.identities.append(s.arguments[0]) }
            case "wrap-file-key":
                guard s.body.count == 16 else { throw PluginProtocolError.malformed("a file key is 16 bytes, not \(s.body.count)") }
                request.fileKeys.append(s.body)
            case "extension-labels":
                request.labels = true
            default:
                continue
            }
        }
    }

    public static func serve(reader: PluginReader, writer: PluginWriter, handler: RecipientPluginHandler) throws {
        let request = try readPhase1(reader)
        try handler.wrap(request, session: Session(reader: reader, writer: writer))
        try writer.send(PluginStanza("done"))
    }

    final class Session: RecipientV1Session {
        let reader: PluginReader
        let writer: PluginWriter
        private var failed = false

        init(reader: PluginReader, writer: PluginWriter) {
            self.reader = reader
            self.writer = writer
        }

        private func ask(_ stanza: PluginStanza) throws {
            try writer.send(stanza)
            let reply = try reader.next()
            guard reply.command == "ok" || reply.command == "fail" || reply.command == "unsupported" else {
                throw PluginProtocolError.unexpectedResponse("'\(reply.command.prefix(40))' to \(stanza.command)")
            }
        }

        func recipientStanza(file: Int, _ stanza: PluginStanza) throws {
            guard !failed else { return }
            try ask(PluginStanza("recipient-stanza", [String(file), stanza.command] + stanza.arguments, body: stanza.body))
        }

        func labels(_ labels: [String]) throws { try ask(PluginStanza("labels", labels)) }

        func recipientError(_ index: Int, _ message: String) throws {
            failed = true
            try ask(PluginStanza("error", ["recipient", String(index)], body: Array(message.utf8)))
        }

        func identityError(_ index: Int, _ message: String) throws {
            failed = true
            try ask(PluginStanza("error", ["identity", String(index)], body: Array(message.utf8)))
        }
    }
}
