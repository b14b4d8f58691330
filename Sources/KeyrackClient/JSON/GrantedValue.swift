/// `get --json`: `{"status":"granted","owner":…,"slug":…,"org":…,"env":…,"key":…,"vault":…,
/// "expiresAt":…,"value":…}`, with `valueHex` in place of `value` when the value is not UTF-8.
public struct GrantedValue: Encodable {
    public var owner: String
    public var slug: String
    public var org: String
    public var env: String
    public var key: String
    public var vault: String
    public var expiresAt: String
    /// The value as text, or nil when it is not UTF-8 (then `valueHex` carries it).
    public var value: String?
    public var valueHex: String?

    public init(owner: String, slug: String, org: String, env: String, key: String, vault: String, expiresAt: String, secret: [UInt8]) {
        (self.owner, self.slug, self.org, self.env, self.key, self.vault, self.expiresAt) = (owner, slug, org, env, key, vault, expiresAt)
        if let text = String(validating: secret, as: UTF8.self) {
            value = text
        } else {
            valueHex = secret.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        }
    }

    private enum Field: String, CodingKey { case status, owner, slug, org, env, key, vault, expiresAt, value, valueHex }

    /// One of `value` and `valueHex`, never both, never a null one.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Field.self)
        try c.encode("granted", forKey: .status)
        try c.encode(owner, forKey: .owner)
        try c.encode(slug, forKey: .slug)
        try c.encode(org, forKey: .org)
        try c.encode(env, forKey: .env)
        try c.encode(key, forKey: .key)
        try c.encode(vault, forKey: .vault)
        try c.encode(expiresAt, forKey: .expiresAt)
        if let value { try c.encode(value, forKey: .value) } else { try c.encode(valueHex ?? "", forKey: .valueHex) }
    }
}
