/// A value or variable an output (a `source` format, an env file) refuses to carry, by name,
/// never by value: the problem in words, the remedy typed in terms of what to do instead, so
/// this library names no command or option; the CLI words it (OutputRefusal+Text).
public struct OutputRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Remedy: Equatable, Sendable {
        /// A value that is not text: print it in sh's quoting, or the value alone.
        case shOrTheValueAlone
        /// The format needs GitHub Actions' $GITHUB_ENV: run it in a step, or choose another format.
        case inAStepOrAnotherFormat
        /// A value no dotenv spelling carries: sh (eval) or JSON, or run the program with the values.
        case shJSONOrExec
        /// A name that changes a shell or the loader: let it in only on purpose.
        case allowDangerous
        /// A value with a NUL byte: no environment variable holds one; print the value alone.
        case theValueAlone

        /// The remedy in plain words, naming no command or option of a program.
        public var words: String {
            switch self {
            case .shOrTheValueAlone: "print it in sh's quoting, or the value alone"
            case .inAStepOrAnotherFormat: "use it in a GitHub Actions step, or choose another format"
            case .shJSONOrExec: "print sh (eval) or JSON instead, or run the program with the values in its environment, which writes no file"
            case .allowDangerous: "allow dangerous names if you mean it"
            case .theValueAlone: "print the value alone instead"
            }
        }
    }

    /// How the CLI exits: the value cannot be carried (1), a format used out of place (2), a name
    /// or value refused (3, `refused`).
    public enum Kind: Equatable, Sendable { case failure, usage, refused }

    public var kind: Kind
    public var problem: String
    public var remedy: Remedy

    public init(_ kind: Kind, _ problem: String, remedy: Remedy) {
        (self.kind, self.problem, self.remedy) = (kind, problem, remedy)
    }

    public var description: String { "\(problem): \(remedy.words)" }
}
