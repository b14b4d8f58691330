/// Where an `openbao` key lives: `MOUNT/PATH#FIELD` of a KV secret (v1 or v2; the server says
/// which, and where the mount ends, at unlock). Only the reference is stored in the manifest.
public struct OpenBaoReference: Equatable, Sendable, CustomStringConvertible {
    /// `MOUNT/PATH`, no leading or trailing slash, e.g. `secret/robots/seaturtle`.
    public let path: String
    /// The field of the secret's data, e.g. `token`.
    public let field: String

    public init(parsing text: String) throws {
        let bad = KeyrackError.usage("invalid external id '\(text.prefix(80))' for vault openbao", .give(.exid, "MOUNT/PATH#FIELD (e.g. secret/robots/seaturtle#token)"))
        let parts = text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, text.utf8.count <= 200 else { throw bad }
        let segments = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        let pathAllowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.@+=:".contains($0)) }
        guard segments.count >= 2, segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && $0.allSatisfy(pathAllowed) }) else { throw bad }
        let field = parts[1]
        guard !field.isEmpty, !field.contains(where: { $0.isNewline || $0 == "\0" || $0 == "#" || !$0.isASCII || $0.isWhitespace }) else { throw bad }
        self.path = String(parts[0])
        self.field = String(field)
    }

    public var description: String { "\(path)#\(field)" }

    /// How `list` and `status` name the key's source: `openbao:secret/robots/seaturtle#token`.
    public var display: String { "openbao:\(self)" }
}
