import AgeFormat

/// `AGE-PLUGIN-KEYRACK-1…`: the identity an age client hands to `age-plugin-keyrack`. It names
/// an owner and holds no secret: the key stays with the owner's daemon (or card), which decides.
/// Data: a format byte (1), then the owner name in UTF-8.
public struct KeyrackPluginIdentity: Equatable, Sendable, CustomStringConvertible {
    public static let pluginName = "keyrack"
    public static let hrp = "AGE-PLUGIN-KEYRACK-"
    static let format: UInt8 = 1
    public let owner: String

    public init(owner: String) { self.owner = owner }

    /// Why a string is not a keyrack plugin identity: the problem, and a remedy that names no
    /// program's command (the plugin executable words its own: `keyrack identity`).
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Not Bech32 at all (a truncated or mistyped copy).
        case malformed
        /// Bech32, but another plugin's identity.
        case notKeyrack
        /// A keyrack identity of a format this version does not know.
        case unknownFormat

        public var problem: String {
            switch self {
            case .malformed: return "malformed AGE-PLUGIN-KEYRACK-1 identity (bad Bech32)"
            case .notKeyrack: return "not a keyrack identity (want AGE-PLUGIN-KEYRACK-1…)"
            case .unknownFormat: return "keyrack identity of an unknown format"
            }
        }

        /// What to do: print the identity again, with the program (and version) that decrypts.
        public var remedy: String? {
            switch self {
            case .malformed: return "print the owner's identity again"
            case .notKeyrack: return nil
            case .unknownFormat: return "print the owner's identity again with this version"
            }
        }

        public var description: String { remedy.map { "\(problem): \($0)" } ?? problem }
    }

    /// Parses the identity; the owner name is checked by the caller (the plugin), which knows the rule.
    public init(string: String) throws(ParseError) {
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(string) } catch { throw .malformed }
        guard decoded.hrp == KeyrackPluginIdentity.hrp.lowercased() else { throw .notKeyrack }
        guard decoded.data.first == KeyrackPluginIdentity.format, decoded.data.count > 1,
              let owner = String(validating: decoded.data.dropFirst(), as: UTF8.self) else {
            throw .unknownFormat
        }
        self.owner = owner
    }

    public var string: String {
        Bech32.encode(hrp: KeyrackPluginIdentity.hrp, data: [KeyrackPluginIdentity.format] + Array(owner.utf8)).uppercased()
    }
    public var description: String { string }
}
