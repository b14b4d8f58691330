import Foundation

/// The TypeScript keyrack's host manifest as it wrote it (age-armored `JSON.stringify`), read
/// with its schema's defaults (reference notes §2.2): `owner` null, `recipients` [], a host's
/// `env` "all", `org` "unknown", `meta` and `maxDuration` null. Only what `keyrack migrate`
/// carries is read; vault and mech stay text, so an unknown one is reported per key, not fatal.
struct TypeScriptHostManifest: Decodable, Equatable {
    struct Recipient: Decodable, Equatable {
        var mech: String
        var pubkey: String
        var label: String
        var addedAt: String?
    }

    struct Host: Decodable, Equatable {
        var slug: String
        var vault: String
        var mech: String
        var exid: String?
        var env: String
        var org: String
        var meta: [String: String]
        var maxDuration: String?
        var createdAt: String?
        var updatedAt: String?

        enum CodingKeys: String, CodingKey { case slug, vault, mech, exid, env, org, meta, maxDuration, createdAt, updatedAt }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            slug = try c.decode(String.self, forKey: .slug)
            vault = try c.decode(String.self, forKey: .vault)
            mech = try c.decode(String.self, forKey: .mech)
            exid = try c.decodeIfPresent(String.self, forKey: .exid)
            env = try c.decodeIfPresent(String.self, forKey: .env) ?? "all"
            org = try c.decodeIfPresent(String.self, forKey: .org) ?? "unknown"
            // meta values are strings in every vault that has one (region, awsSsoUsername, ageKeyRecipient).
            meta = (try? c.decodeIfPresent([String: String].self, forKey: .meta)) ?? [:]
            maxDuration = try c.decodeIfPresent(String.self, forKey: .maxDuration)
            createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
            updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
        }
    }

    var owner: String?
    var recipients: [Recipient]
    var hosts: [String: Host]

    enum CodingKeys: String, CodingKey { case owner, recipients, hosts }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        owner = try c.decodeIfPresent(String.self, forKey: .owner)
        recipients = try c.decodeIfPresent([Recipient].self, forKey: .recipients) ?? []
        hosts = try c.decodeIfPresent([String: Host].self, forKey: .hosts) ?? [:]
    }

    static func parse(_ json: [UInt8]) throws -> TypeScriptHostManifest {
        do { return try JSONDecoder().decode(TypeScriptHostManifest.self, from: Data(json)) } catch {
            throw MigrationError.invalidJSON(what: "\(error)".prefix(200).description)
        }
    }
}
