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

    /// Parses the identity; the owner name is checked by the caller (the plugin), which knows the rule.
    public init(string: String) throws {
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32.decode(string) } catch {
            throw AgeError.invalidKey("malformed AGE-PLUGIN-KEYRACK-1 identity (bad Bech32): print it again with `keyrack identity --for OWNER`")
        }
        guard decoded.hrp == KeyrackPluginIdentity.hrp.lowercased() else {
            throw AgeError.invalidKey("not a keyrack identity (want AGE-PLUGIN-KEYRACK-1…)")
        }
        guard decoded.data.first == KeyrackPluginIdentity.format, decoded.data.count > 1,
              let owner = String(validating: decoded.data.dropFirst(), as: UTF8.self) else {
            throw AgeError.invalidKey("keyrack identity of an unknown format: print it again with this keyrack's `keyrack identity`")
        }
        self.owner = owner
    }

    public var string: String {
        Bech32.encode(hrp: KeyrackPluginIdentity.hrp, data: [KeyrackPluginIdentity.format] + Array(owner.utf8)).uppercased()
    }
    public var description: String { string }
}
