import KeyrackApp

/// `set-default`'s text: the owner's OpenBao defaults now, or that it has none.
extension SetDefaultJSON {
    public var line: String {
        openbao.assignments.isEmpty
            ? "keyrack set-default: owner \(owner) has no OpenBao defaults"
            : "keyrack set-default: OpenBao defaults of owner \(owner): " + openbao.assignments.joined(separator: " ")
    }
}
