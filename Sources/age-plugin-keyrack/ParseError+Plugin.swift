import AgePlugin

extension KeyrackPluginIdentity.ParseError {
    /// The line the age client shows: the library's problem, the remedy in keyrack's command.
    var pluginLine: String {
        switch self {
        case .malformed: return "\(problem): print it again with `keyrack identity --for OWNER`"
        case .notKeyrack: return problem
        case .unknownFormat: return "\(problem): print it again with this keyrack's `keyrack identity`"
        }
    }
}
