extension Slug {
    /// `other`'s org and env with the key `key`, nil unless `key` obeys its rule: the two parts
    /// already checked are shared rather than decoded and checked again. The daemon reads an
    /// unlock's slugs (10 000 and more, nearly all of one org and env) through this.
    public init?(orgAndEnvOf other: Slug, key: String) {
        guard NameRules.isValidKey(key) else { return nil }
        self.org = other.org
        self.env = other.env
        self.key = key
    }
}
