// The teaching text of the commands that hand values out: `get`, `source`, `inject` (see Help.swift).
extension Help {
    /// `keyrack get --help`'s discussion.
    public static let get = """
        Prints a status line by default; the value itself only with --value (raw bytes, no \
        newline) or --json. A request for ORG.ENV.KEY is answered by ORG.all.KEY when only that \
        is unlocked. Inside a repository with .agent/keyrack.yml, only the keys it lists (plus \
        sudo and @all keys) are handed out.
        """

    /// `keyrack source --help`'s discussion.
    public static let source = """
        Usage: eval "$(keyrack source --env test)"; fish: keyrack source --env test --format fish \
        | source; CI: keyrack source --env test --format github-actions. Prefer `keyrack exec`, \
        which puts no value in your shell. Prints nothing and exits 3 if any requested key is not \
        granted.
        """

    /// `keyrack inject --help`'s discussion.
    public static let inject = """
        Example: keyrack inject -i config.yml.tpl -o config.yml. The output file is created with \\
        mode 0600 (it holds secrets) and replaced whole, never left half written; an existing \\
        one is replaced only with --force. Without -o the result goes to stdout. Other {{ … }} \\
        are left as they are.
        """
}
