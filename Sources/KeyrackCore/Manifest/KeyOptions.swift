/// The non-secret settings a key may carry in `options:` (HostManifest.swift), with the rule of
/// each value and the vaults and mechanisms it belongs to. A manifest read back refuses what `set`
/// would refuse, so a hand edit cannot smuggle a flag into the argv of `aws` or `op`.
public enum KeyOptions {
    /// `--region` of an aws.params key: the AWS region of the parameter.
    public static let region = "region"
    /// `--account` of a 1password key: which signed-in 1Password account `op` uses.
    public static let account = "account"
    /// `--repositories` of a GitHub App key: the repository names the token is narrowed to.
    public static let repositories = "repositories"
    /// `--permissions` of a GitHub App key: `name:level` pairs the token is narrowed to.
    public static let permissions = "permissions"

    /// Checks each value's shape (names known, no leading `-`, no control characters).
    public static func check(_ options: [String: String]) throws {
        for (name, value) in options {
            switch name {
            case region:
                guard value.utf8.count <= 32, value.first?.isLetter == true,
                      value.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }) else {
                    throw KeyrackError.usage("invalid region '\(value.prefix(40))'", .give(.region, "REGION, an AWS region such as eu-west-1"))
                }
            case account:
                guard !value.isEmpty, value.utf8.count <= 256, !value.hasPrefix("-"),
                      value.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline && $0 != "\0" }) else {
                    throw KeyrackError.usage("invalid account '\(value.prefix(40))'", .give(.account, "ACCOUNT, the account's sign-in address, email or id as `op account list` shows it"))
                }
            case repositories:
                _ = try GitHubAppNarrowing.repositories(value)
            case permissions:
                _ = try GitHubAppNarrowing.permissions(value)
            default:
                throw KeyrackError.usage("unknown key option '\(name.prefix(40))': keyrack knows region, account, repositories and permissions")
            }
        }
    }

    /// Checks that each option belongs to the key's vault and mechanism.
    public static func check(_ options: [String: String], vault: Vault, mech: Mechanism) throws {
        try check(options)
        for name in options.keys.sorted() {
            let fits: Bool
            switch name {
            case region: fits = vault == .awsParams
            case account: fits = vault == .onePassword
            default: fits = mech == .ephemeralViaGithubApp
            }
            guard fits else {
                let owner = name == region ? "vault aws.params" : name == account ? "vault 1password" : "mech EPHEMERAL_VIA_GITHUB_APP"
                throw KeyrackError.usage("\(name) is only used with \(owner), not with vault \(vault.rawValue) and mech \(mech.rawValue)",
                                         .drop(KeyrackError.Setting(option: name) ?? .mech))
            }
        }
    }
}
