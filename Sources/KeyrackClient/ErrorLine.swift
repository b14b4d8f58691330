/// One error line as the CLI words it, with the keyrack command that fixes it marked where it is
/// written rather than found later in the text: `"K is locked: run \(fix: "keyrack unlock …")"`
/// reads "K is locked: run `keyrack unlock …`" on stderr, and `--json` reports the command as
/// `fix` (ErrorReport). Rewording the sentence around it cannot change what `fix` says.
/// The first command marked is the fix; a line with none has no fix.
public struct ErrorLine: ExpressibleByStringInterpolation, Equatable, Sendable, CustomStringConvertible {
    public var text: String
    public var fix: String?

    public init(text: String, fix: String?) {
        self.text = text
        self.fix = fix
    }

    public init(stringLiteral value: String) { self.init(text: value, fix: nil) }

    public init(stringInterpolation: Interpolation) { self.init(text: stringInterpolation.text, fix: stringInterpolation.fix) }

    public var description: String { text }

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""
        var fix: String?

        public init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity) }

        public mutating func appendLiteral(_ literal: String) { text += literal }

        public mutating func appendInterpolation<T>(_ value: T) { text += String(describing: value) }

        /// The command that fixes the error, shown in backquotes.
        public mutating func appendInterpolation(fix command: String) {
            text += "`" + command + "`"
            if fix == nil { fix = command }
        }

        /// Another line's text, and its fix if this line has none yet.
        public mutating func appendInterpolation(line: ErrorLine) {
            text += line.text
            if fix == nil { fix = line.fix }
        }
    }
}
