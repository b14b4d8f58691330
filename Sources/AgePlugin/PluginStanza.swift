import AgeFormat
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes

/// One command of the age plugin IPC (C2SP age-plugin.md): an age stanza whose tag is the command.
///
///     -> command arg1 arg2
///     Base64(body), wrapped at 64 columns, ended by a line shorter than 64 (maybe empty)
///
/// Bodies are canonical unpadded base64, as in an age header; a decoder that took a second
/// spelling would accept what other clients reject.
public struct PluginStanza: Equatable, Sendable {
    public var command: String
    public var arguments: [String]
    public var body: [UInt8]

    public init(_ command: String, _ arguments: [String] = [], body: [UInt8] = []) {
        self.command = command
        self.arguments = arguments
        self.body = body
    }

    /// The wire form, ending in a newline.
    public var encoded: [UInt8] {
        var out = Array(("-> " + ([command] + arguments).joined(separator: " ") + "\n").utf8)
        let text = Array(AgeBase64.encodeUnpadded(body).utf8)
        var offset = 0
        while true {
            let end = min(offset + 64, text.count)
            out += text[offset..<end] + [0x0a]
            if end - offset < 64 { break }
            offset = end
        }
        return out
    }
}

public enum PluginProtocolError: Error, Equatable, CustomStringConvertible {
    case endOfInput
    case malformed(String)
    /// The client answered a command with something other than what the phase allows.
    case unexpectedResponse(String)
    /// The client sent more stanza bytes than the reader's budget: a hostile or corrupt header.
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .endOfInput: "the age client closed the connection"
        case .malformed(let what): "malformed plugin message: \(what)"
        case .unexpectedResponse(let what): "unexpected response from the age client: \(what)"
        case .tooLarge(let limit):
            "the age client sent more than \(limit >> 20) MiB of stanzas, more than this plugin takes: the file's header is corrupt or hostile; nothing was decrypted"
        }
    }
}

/// Reads stanzas from a file descriptor (the plugin's stdin), one line at a time, buffered.
///
/// Everything read counts against `budget`, checked as the bytes arrive: a client that sends a
/// 64 MB stanza body is cut off once the budget is spent, so memory stays bounded by the budget
/// rather than by what the client chose to send.
public final class PluginReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var consumed = 0
    /// A line longer than this is not a plugin message (the longest legal one is a stanza line
    /// with a few recipients' worth of arguments).
    public static let maximumLineLength = 64 << 10
    /// The default budget: far above any real header, far below a memory problem.
    public static let defaultBudget = 16 << 20
    /// The bytes this reader accepts over its life (one age client's session).
    public let budget: Int

    public init(fd: Int32, budget: Int = PluginReader.defaultBudget) {
        self.fd = fd
        self.budget = budget
    }

    deinit { wipeBuffer() }

    private func line() throws -> [UInt8] {
        while true {
            if let nl = buffer[start...].firstIndex(of: 0x0a) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                if start > 4096 { wipeBuffer(upTo: start); buffer.removeFirst(start); start = 0 }
                return line
            }
            guard buffer.count - start <= PluginReader.maximumLineLength else { throw PluginProtocolError.malformed("a line longer than 64 KiB") }
            guard consumed < budget else { throw PluginProtocolError.tooLarge(limit: budget) }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = read(fd, &chunk, min(chunk.count, budget - consumed))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw PluginProtocolError.endOfInput }
            consumed += n
            buffer += chunk[0..<n]
            zeroize(&chunk)
        }
    }

    /// The next stanza.
    public func next() throws -> PluginStanza {
        let first = try line()
        guard first.starts(with: Array("-> ".utf8)) else {
            throw PluginProtocolError.malformed("expected a line starting with '-> '")
        }
        let words = first.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let command = words.first, !words.contains(where: \.isEmpty) else {
            throw PluginProtocolError.malformed("empty command or argument")
        }
        var text: [UInt8] = []
        defer { zeroize(&text) }
        while true {
            let l = try line()
            guard l.count <= 64 else { throw PluginProtocolError.malformed("a body line longer than 64 columns") }
            text += l
            if l.count < 64 { break }
        }
        guard let body = AgeBase64.decodeUnpadded(String(decoding: text, as: UTF8.self)) else {
            throw PluginProtocolError.malformed("the body of '\(command.prefix(40))' is not canonical base64")
        }
        return PluginStanza(command, Array(words.dropFirst()), body: body)
    }

    /// Zeroes the bytes already read (all of them, or the first `end`) before they are dropped.
    private func wipeBuffer(upTo end: Int? = nil) {
        let n = end ?? buffer.count
        buffer.withUnsafeMutableBytes { raw in if let base = raw.baseAddress { zeroize(base, count: n) } }
    }
}

/// Writes stanzas to a file descriptor (the plugin's stdout), each in one write.
public struct PluginWriter {
    private let fd: Int32
    public init(fd: Int32) { self.fd = fd }

    public func send(_ stanza: PluginStanza) throws {
        var bytes = stanza.encoded
        defer { zeroize(&bytes) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n > 0 { done += n } else if n < 0 && errno == EINTR { continue } else { throw PluginProtocolError.endOfInput }
        }
    }
}
