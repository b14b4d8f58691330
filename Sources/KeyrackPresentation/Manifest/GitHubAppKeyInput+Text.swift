import KeyrackApp

extension GitHubAppKeyInput.Field {
    /// The option that gives it.
    public var flag: String {
        switch self {
        case .appID: "--app-id"
        case .installationID: "--installation-id"
        case .privateKey: "--private-key"
        }
    }
}

extension GitHubAppKeyInput.Problem {
    /// The flags given where they mean nothing, and where they do.
    public var cliText: String {
        switch self {
        case .onlyForAManifestAppKey(let given):
            let flags = given.map(\.flag)
            return "\(flags.joined(separator: ", ")) \(flags.count == 1 ? "is" : "are") only used with --vault os.secure --mech EPHEMERAL_VIA_GITHUB_APP (a 1password key keeps them in the item)"
        }
    }
}
