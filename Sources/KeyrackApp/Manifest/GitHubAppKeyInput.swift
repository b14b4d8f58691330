import Foundation
import KeyrackCore
import SecretBytes

/// What `set` is given for a GitHub App key kept in the manifest (`--vault os.secure --mech
/// EPHEMERAL_VIA_GITHUB_APP`): the app's id, the installation and the private key file, each
/// asked for when absent. The result is the JSON source the manifest stores encrypted; the key
/// file's contents are never printed.
public struct GitHubAppKeyInput {
    public var appID: String?
    public var installationID: String?
    public var privateKeyPath: String?

    public init(appID: String?, installationID: String?, privateKeyPath: String?) {
        self.appID = appID
        self.installationID = installationID
        self.privateKeyPath = privateKeyPath
    }

    /// The app's inputs, named for the problem that refuses them (the CLI words each as its option).
    public enum Field: String, CaseIterable, Sendable { case appID, installationID, privateKey }

    /// How the inputs are refused: `given` belong to a GitHub App key kept in the manifest (vault
    /// os.secure, mechanism EPHEMERAL_VIA_GITHUB_APP) only; a 1password key keeps them in the item.
    public enum Problem: Error, Equatable, Sendable {
        case onlyForAManifestAppKey(given: [Field])
    }

    /// The app's inputs belong to a GitHub App key kept in the manifest, and nowhere else.
    public func check(vault: Vault, mech: Mechanism) throws {
        let given = [(Field.appID, appID), (.installationID, installationID), (.privateKey, privateKeyPath)].filter { $0.1 != nil }.map(\.0)
        if !given.isEmpty && !(mech == .ephemeralViaGithubApp && vault == .osSecure) { throw Problem.onlyForAManifestAppKey(given: given) }
    }

    /// The JSON source, asking `ask(prompt, field)` for what is missing, in the order id,
    /// installation, key file. The key file goes through the one key-file reader (KeyFile: its
    /// size cap, its absent/unreadable errors) and is zeroed after use.
    public func source(userHome: URL = InvocationPaths.userHome, ask: (_ prompt: String, _ field: Field) throws -> String) throws -> [UInt8] {
        let app = try appID ?? ask("GitHub App id: ", .appID)
        let installation = try installationID ?? ask("installation id: ", .installationID)
        let path = try privateKeyPath ?? ask("path of the app's private key (.pem): ", .privateKey)
        var pem = try KeyFile.read(InvocationPaths.expandingTilde(path, home: userHome), what: "GitHub App key file")
        defer { zeroize(&pem) }
        do {
            return try GitHubAppSource.json(appID: app, installationID: installation, privateKeyPEM: String(decoding: pem, as: UTF8.self))
        } catch let error as KeyrackError {
            throw KeyrackError(.usage, error.message)
        }
    }
}
