/// `unlock` found nothing to unlock (exit 3, not granted): the problem in words, the remedy typed
/// in terms of what to change, so this library names no command or option; the CLI words it
/// (AppRefusals+Text).
public struct NothingToUnlock: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Remedy: Equatable, Sendable {
        /// The repository file lists none of the env's keys: list them there, or unlock one by name.
        case listInRepositoryOrNameOne(env: String)
        /// The owner has no such key: set it.
        case setIt(owner: String, env: String, key: String)

        /// The remedy in plain words, naming no command or option of a program.
        public var words: String {
            switch self {
            case .listInRepositoryOrNameOne(let env): "add the key names to its env.\(env): section, or unlock one key by name"
            case .setIt(_, let env, let key): "set \(key) in env \(env) first"
            }
        }
    }

    public var problem: String
    public var remedy: Remedy

    public init(_ problem: String, remedy: Remedy) { (self.problem, self.remedy) = (problem, remedy) }

    public var description: String { "\(problem): \(remedy.words)" }
}
