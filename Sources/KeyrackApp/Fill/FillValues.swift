#if canImport(Glibc)
import Glibc
#endif
import KeyrackClient
import KeyrackNames

/// Where `fill` takes the values some owner lacks: typed on the terminal (not echoed), or, when
/// stdin is not a terminal, one line of stdin per such key in the file's order (stdin is read
/// once, at the first key asked).
public final class FillValues {
    private let isTerminal: Bool
    private let typed: (Slug) throws -> [UInt8]
    private let readStdin: () -> [UInt8]
    private var lines: [[UInt8]]?

    public init(isTerminal: Bool = isatty(STDIN_FILENO) == 1,
                typed: @escaping (Slug) throws -> [UInt8] = SecretPrompt.readValue,
                readStdin: @escaping () -> [UInt8] = { SecretPrompt.readAllOfStdin() }) {
        self.isTerminal = isTerminal
        self.typed = typed
        self.readStdin = readStdin
    }

    public func value(for slug: Slug) throws -> [UInt8] {
        if isTerminal { return try typed(slug) }
        if lines == nil { lines = readStdin().split(separator: 0x0a, omittingEmptySubsequences: false).map(Array.init) }
        guard let line = lines?.first, !line.isEmpty else { throw UsageError("no value for \(slug) on stdin (one line per missing key, in the file's order)") }
        lines!.removeFirst()
        return line
    }
}
