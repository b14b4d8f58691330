extension Slug {
    /// `other`'s org and env with the key whose UTF-8 is `key`, nil unless it obeys the key
    /// rule: the two parts already checked are shared rather than decoded and checked again, and
    /// the key is checked on its bytes before a String is made of them. The daemon reads an
    /// unlock's slugs (10 000 and more, nearly all of one org and env) through this.
    public init?(orgAndEnvOf other: Slug, keyUTF8 key: UnsafeBufferPointer<UInt8>) {
        guard NameRules.isValidKey(utf8: key) else { return nil }
        self.org = other.org
        self.env = other.env
        self.key = String(decoding: key, as: UTF8.self)
    }
}
