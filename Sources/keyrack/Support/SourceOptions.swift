import ArgumentParser
import Foundation
import KeyrackCore
import SecretBytes
#if canImport(Glibc)
import Glibc
#endif

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

    /// The app's flags belong to a GitHub App key kept in the manifest, and nowhere else.
    func check(vault: Vault, mech: Mechanism) throws {
        let given = [("--app-id", appID), ("--installation-id", installationID), ("--private-key", privateKey)].filter { $0.1 != nil }.map(\.0)
        if !given.isEmpty && !(mech == .ephemeralViaGithubApp && vault == .osSecure) {
            throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "is" : "are") only used with --vault os.secure --mech EPHEMERAL_VIA_GITHUB_APP (a 1password key keeps them in the item)")
        }
    }

    /// The JSON source of a GitHub App key from the flags, asking on the terminal for what is
    /// missing. The key file is read and checked here; its contents are never printed.
    func gitHubAppSource() throws -> [UInt8] {
        let app = try appID ?? ask("GitHub App id: ", flag: "--app-id")
        let installation = try installationID ?? ask("installation id: ", flag: "--installation-id")
        let path = try privateKey ?? ask("path of the app's private key (.pem): ", flag: "--private-key")
        let expanded = path.hasPrefix("~/") ? ManifestCLI.userHome.appendingPathComponent(String(path.dropFirst(2))).path : path
        // The one key-file reader (KeyrackCore's KeyFile: its size cap, its absent/unreadable errors).
        var pem = try KeyFile.read(expanded, what: "GitHub App key file")
        defer { zeroize(&pem) }
        do {
            return try GitHubAppSource.json(appID: app, installationID: installation, privateKeyPEM: String(decoding: pem, as: UTF8.self))
        } catch let error as KeyrackError { throw ValidationError(error.message) }
    }

    /// One line typed on the terminal, echoed (ids and paths are not secret).
    private func ask(_ prompt: String, flag: String) throws -> String {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { throw ValidationError("no terminal to ask on: pass \(flag)") }
        defer { close(fd) }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ValidationError("nothing typed: pass \(flag)") }
        return text
    }
}
