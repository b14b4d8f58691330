import ArgumentParser
import KeyrackApp
import KeyrackCore

/// The `set` options that say more about where a key's source lives or how it is minted: the
/// region of an SSM parameter, the 1Password account, and a GitHub App's ids, key and narrowing.
struct SourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp("aws.params: the AWS region of the parameter (default: the profile's or AWS_REGION).", valueName: "region"))
    var region: String?

    @Option(help: ArgumentHelp("1password: the account to read from when op is signed in to several (op account list).", valueName: "account"))
    var account: String?

    @Option(name: .customLong("app-id"), help: ArgumentHelp("EPHEMERAL_VIA_GITHUB_APP: the GitHub App's id (asked on the terminal when absent).", valueName: "id"))
    var appID: String?

    @Option(name: .customLong("installation-id"), help: ArgumentHelp("EPHEMERAL_VIA_GITHUB_APP: the installation to mint tokens for (asked when absent).", valueName: "id"))
    var installationID: String?

    @Option(name: .customLong("private-key"), help: ArgumentHelp("EPHEMERAL_VIA_GITHUB_APP: the app's .pem private key file, stored encrypted in the manifest (asked when absent).", valueName: "path"))
    var privateKey: String?

    @Option(help: ArgumentHelp("EPHEMERAL_VIA_GITHUB_APP: narrow tokens to these repositories, comma-separated (e.g. api,web).", valueName: "names"))
    var repositories: String?

    @Option(help: ArgumentHelp("EPHEMERAL_VIA_GITHUB_APP: narrow tokens to these permissions, e.g. contents:read,pull_requests:write.", valueName: "pairs"))
    var permissions: String?

    /// The options the manifest records for the key.
    var keyOptions: [String: String] {
        var o: [String: String] = [:]
        o[KeyOptions.region] = region
        o[KeyOptions.account] = account
        o[KeyOptions.repositories] = repositories
        o[KeyOptions.permissions] = permissions
        return o
    }

    /// The GitHub App's flags, typed for the app layer (which checks and reads them).
    var gitHubApp: GitHubAppKeyInput {
        GitHubAppKeyInput(appID: appID, installationID: installationID, privateKeyPath: privateKey)
    }
}
