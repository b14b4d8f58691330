import _CryptoExtras
import Foundation

/// The stored source of an EPHEMERAL_VIA_GITHUB_APP key: the app's id, the installation to mint
/// tokens for, and the app's RSA private key (the `.pem` GitHub hands out). Kept as one JSON
/// value, in the manifest's secrets (os.secure) or in a 1Password field, as the TypeScript
/// keyrack kept it: `{"appId": 123, "installationId": 456, "privateKey": "-----BEGIN …"}`.
public struct GitHubAppSource {
    public let appID: String
    public let installationID: String
    let signingKey: _RSA.Signing.PrivateKey

    /// Checks every part: ids are decimal numbers (no leading zero), the key is an RSA private key of at least
    /// 2048 bits in PEM (PKCS#1 as GitHub issues it, or PKCS#8). The key is never echoed.
    public init(appID: String, installationID: String, privateKeyPEM: String) throws {
        for (what, id) in [("app id", appID), ("installation id", installationID)] {
            guard (1...15).contains(id.count), id.first != "0", id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw KeyrackError.usage("invalid GitHub App \(what) '\(id.prefix(24))': use the number GitHub shows (app settings, or the installation's URL)")
            }
        }
        do { signingKey = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM) } catch {
            throw KeyrackError.usage("the GitHub App key is not an RSA private key of 2048 bits or more in PEM: use the .pem file GitHub generated for the app")
        }
        self.appID = appID
        self.installationID = installationID
    }

    /// Reads the JSON source (ids as numbers or strings).
    public init(json bytes: [UInt8]) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              let app = GitHubAppSource.id(object["appId"]), let installation = GitHubAppSource.id(object["installationId"]),
              let key = object["privateKey"] as? String else {
            throw KeyrackError.usage("the GitHub App source is not JSON {appId, installationId, privateKey}", .setAgain(.mech, Mechanism.ephemeralViaGithubApp.rawValue))
        }
        try self.init(appID: app, installationID: installation, privateKeyPEM: key)
    }

    private static func id(_ value: Any?) -> String? {
        if let s = value as? String { return s }
        if let n = value as? Int, n > 0 { return String(n) }
        return nil
    }

    /// The JSON the manifest stores, ids as numbers.
    public static func json(appID: String, installationID: String, privateKeyPEM: String) throws -> [UInt8] {
        let source = try GitHubAppSource(appID: appID, installationID: installationID, privateKeyPEM: privateKeyPEM)
        let object: [String: Any] = ["appId": Int(source.appID) ?? 0, "installationId": Int(source.installationID) ?? 0, "privateKey": privateKeyPEM]
        return [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}

/// `--repositories` and `--permissions` as GitHub's access-token endpoint takes them:
/// repository names (without the owner) and `name:level` pairs, both comma-separated.
public enum GitHubAppNarrowing {
    public static func repositories(_ text: String) throws -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, names.count <= 500, names.allSatisfy({ name in
            (1...100).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }) else {
            throw KeyrackError.usage("invalid repositories '\(text.prefix(60))'", .give(.repositories, "NAME[,NAME…], repository names of the installation's owner (e.g. api,web)"))
        }
        return names
    }

    public static func permissions(_ text: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, (1...64).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && ($0.isLowercase || $0 == "_") }),
                  ["read", "write", "admin"].contains(parts[1]), result[parts[0]] == nil else {
                throw KeyrackError.usage("invalid permissions '\(text.prefix(60))'",
                                        .give(.permissions, "NAME:LEVEL[,NAME:LEVEL…], level read, write or admin (e.g. contents:read,pull_requests:write)"))
            }
            result[parts[0]] = parts[1]
        }
        return result
    }
}
