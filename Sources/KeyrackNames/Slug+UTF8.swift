extension Slug {
    /// Parses a full slug from its UTF-8 bytes, as `init?(parsing:)` parses a String; nil for
    /// anything else. A manifest reader has the bytes in libyaml's memory: the whole text as a
    /// String first was an allocation per slug (20 bytes and more are not a small string), where
    /// each part alone usually is one, stored inline.
    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        let dot = UInt8(ascii: ".")
        guard let first = text.firstIndex(of: dot), let second = text[(first + 1)...].firstIndex(of: dot) else { return nil }
        // Each part checked on its bytes (the rules are ASCII: no UTF-8 to decode first), and
        // only then made a String; walking a String's UTF-8 view was a third of a slug's cost.
        let org = UnsafeBufferPointer(rebasing: text[0..<first]), env = UnsafeBufferPointer(rebasing: text[(first + 1)..<second])
        let key = UnsafeBufferPointer(rebasing: text[(second + 1)...])
        guard Slug.isAll(org) || NameRules.isValidOrg(utf8: org), NameRules.isValidEnv(utf8: env), NameRules.isValidKey(utf8: key) else { return nil }
        self.init(checkedOrg: String(decoding: org, as: UTF8.self), env: String(decoding: env, as: UTF8.self), key: String(decoding: key, as: UTF8.self))
    }

    /// The org `@all`, as `NameRules.isValidOrg` lets it through.
    private static func isAll(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 4 && bytes[0] == UInt8(ascii: "@") && bytes[1] == UInt8(ascii: "a") && bytes[2] == UInt8(ascii: "l") && bytes[3] == UInt8(ascii: "l")
    }

    /// The description's UTF-8 (`ORG.ENV.KEY`) appended to `bytes`, without making the String.
    public func appendUTF8(to bytes: inout [UInt8]) {
        Self.append(org, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        Self.append(env, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        Self.append(key, to: &bytes)
    }

    /// A part's bytes in one copy: appending its `utf8` view went element by element through
    /// the generic sequence path, about 160 instructions a part (issue 32).
    private static func append(_ part: String, to bytes: inout [UInt8]) {
        var part = part
        part.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// The length of the description in UTF-8 bytes.
    public var utf8Count: Int { org.utf8.count + env.utf8.count + key.utf8.count + 2 }
}

extension Slug {
    /// `description == text`, without making the description: byte by byte when `text` is
    /// ASCII (the description always is); otherwise String's own comparison, which also
    /// equates canonically equivalent text (a Kelvin sign with a K).
    public func isDescription(_ text: String) -> Bool {
        var text = text
        let bytes: Bool? = text.withUTF8 { t in
            guard !t.contains(where: { $0 >= 0x80 }) else { return nil }
            let o = org.utf8.count, e = env.utf8.count, dot = UInt8(ascii: ".")
            guard t.count == o + e + key.utf8.count + 2, t[o] == dot, t[o + 1 + e] == dot else { return false }
            return org.utf8.elementsEqual(t[0..<o]) && env.utf8.elementsEqual(t[(o + 1)..<(o + 1 + e)])
                && key.utf8.elementsEqual(t[(o + 2 + e)...])
        }
        return bytes ?? (description == text)
    }
}
