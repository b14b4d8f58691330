/// Why a key stays locked at unlock, as KeyrackError says why a command failed: the problem, and
/// apart from it the remedy where that is one of the key's settings or commands (the CLI words
/// it, and reports the same words in `unlock --json`). A plain string is a problem that says
/// what to do in words naming no command or option.
public struct LockedReason: Equatable, Sendable, CustomStringConvertible, ExpressibleByStringInterpolation {
    public var problem: String
    public var remedy: KeyrackError.Remedy?

    public init(_ problem: String, remedy: KeyrackError.Remedy? = nil) {
        self.problem = problem
        self.remedy = remedy
    }

    public init(stringLiteral value: String) { self.init(value) }

    /// A library error met while reading the key, its remedy kept.
    public init(_ error: KeyrackError) { self.init(error.problem, remedy: error.remedy) }

    /// The same reason, said of `subject` ("SSM parameter /a/b: no AWS region").
    public func about(_ subject: String) -> LockedReason { LockedReason("\(subject): \(problem)", remedy: remedy) }

    /// The problem, then the remedy in plain words.
    public var description: String { remedy.map { "\(problem): \($0.words)" } ?? problem }
}
