import KeyrackApp

/// `migrate`'s text: per owner, what moved (or why nothing did), each key, and what did not move.
extension MigrateJSON.Owner {
    public var text: String {
        let plural = { (n: Int, word: String) in "\(n) \(word)\(n == 1 ? "" : "s")" }
        var lines = [problem.map { "\(owner): not migrated: \($0): \(fix ?? "")" }
            ?? "\(owner): \(status == "migrated" ? "migrated" : "would migrate") \(plural(keys.count, "key")) and \(plural(recipients.count, "backup recipient")) from \(source) (opened with \(openedWith ?? "?")); the old file is unchanged"]
        if problem == nil { lines += keys.map { "  \($0.slug) (\($0.vault))" } }
        lines += notMoved.map { "  not moved: \($0.subject): \($0.reason)" }
        return lines.joined(separator: "\n")
    }
}

extension TypeScriptMigration {
    /// No old manifest found: of the owners asked for (nil: `--all`), in the keyrack home `root`.
    public static func nothingFound(owners: [String]?, root: String) -> String {
        "keyrack migrate: no TypeScript host manifest (keyrack.host[.OWNER].age) \(owners.map { "of \($0.joined(separator: ", ")) " } ?? "")in \(root)"
    }
}
