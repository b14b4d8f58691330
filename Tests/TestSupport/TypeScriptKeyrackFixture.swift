import Foundation

/// The TypeScript keyrack's host files (issue 28), written as its notes give the format
/// (age-armored `JSON.stringify(manifest, null, 2)`, os.secure values in
/// `vault/os.secure/owner=<owner|default>/<sha256(slug)[0..16]>.age`, os.direct values in
/// `keyrack.direct.json`), encrypted with Debian's `age` and hashed by Python's hashlib, so
/// `keyrack migrate` is read against files none of keyrack's code made.
public enum TypeScriptKeyrackFixture {
    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// age -a to each recipient (`-R file` for ssh public keys, `-r` for age ones).
    public static func seal(_ plain: String, to recipients: [String], at url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let r = try Run.process("age", ["-a"] + recipients.flatMap { $0.hasPrefix("/") ? ["-R", $0] : ["-r", $0] } + ["-o", url.path], stdin: Array(plain.utf8))
        guard r.status == 0 else { throw Failed(description: "age: \(r)") }
    }

    /// The TypeScript tool's slug hash: the first 16 hex digits of SHA-256(slug).
    public static func hash16(_ slug: String) throws -> String {
        try Run.process("python3", ["-c", "import hashlib,sys;print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:16])", slug])
            .out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A value file of the os.secure vault (`owner` nil: the default owner's).
    public static func sealValue(_ value: String, slug: String, owner: String?, to recipients: [String], in root: URL) throws {
        try seal(value, to: recipients, at: root.appendingPathComponent("vault/os.secure/owner=\(owner ?? "default")/\(try hash16(slug)).age"))
    }

    public static func host(_ slug: String, vault: String, mech: String, exid: String? = nil, meta: [String: String]? = nil,
                            maxDuration: String? = nil) -> [String: Any] {
        let parts = slug.split(separator: ".", maxSplits: 2).map(String.init)
        return ["slug": slug, "vault": vault, "mech": mech, "exid": exid ?? NSNull(), "env": parts[1], "org": parts[0],
                "meta": meta ?? NSNull(), "maxDuration": maxDuration ?? NSNull(),
                "createdAt": "2026-03-01T10:00:00.000Z", "updatedAt": "2026-03-02T11:30:00.000Z"]
    }

    public static func manifestJSON(owner: String?, uri: String, recipients: [[String: Any]], hosts: [String: [String: Any]]) throws -> String {
        let object: [String: Any] = ["uri": uri, "owner": owner ?? NSNull(), "recipients": recipients, "hosts": hosts]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }

    /// One owner's keys: 20 of every vault kind keyrack has, plus one github.secrets key it has
    /// no vault for; the os.secure and os.direct values are fresh per call.
    public struct Keys {
        public var secure: [String: String] = [:]      // slug → value (os.secure)
        public var direct: [String: String] = [:]      // slug → value (os.direct)
        public var hosts: [String: [String: Any]] = [:]

        public init() {
            for slug in ["testorg.prod.API_KEY", "testorg.prod.DB_PASSWORD", "testorg.test.API_KEY", "testorg.all.SHARED",
                         "acme.prod.STRIPE", "acme.prep.STRIPE", "@all.sudo.GITHUB_TOKEN", "testorg.camp.CAMP_KEY"] {
                secure[slug] = "\(slug)-\(UUID().uuidString)"
                hosts[slug] = host(slug, vault: "os.secure", mech: "PERMANENT_VIA_REPLICA", maxDuration: slug.contains("sudo") ? "30m" : nil)
            }
            for slug in ["testorg.prod.REGION", "testorg.test.URL", "acme.all.HOST"] {
                direct[slug] = "direct-" + slug
                hosts[slug] = host(slug, vault: "os.direct", mech: "PERMANENT_VIA_REPLICA")
            }
            let more: [(String, String, String, String?, [String: String]?, String?)] = [
                ("testorg.test.ENV_TOKEN", "os.envvar", "PERMANENT_VIA_REPLICA", nil, nil, nil),
                ("acme.prod.ENV_TOKEN", "os.envvar", "PERMANENT_VIA_REPLICA", nil, nil, nil),
                ("testorg.prod.SESSION", "os.daemon", "EPHEMERAL_VIA_SESSION", nil, nil, "1h"),
                ("acme.test.SESSION", "os.daemon", "EPHEMERAL_VIA_SESSION", nil, nil, nil),
                ("testorg.prod.OP_TOKEN", "1password", "PERMANENT_VIA_REFERENCE", "op://keyrack/api/credential", nil, nil),
                ("acme.prep.OP_TOKEN", "1password", "PERMANENT_VIA_REFERENCE", "op://keyrack/prep/password", nil, "5m"),
                ("testorg.prod.PARAM", "aws.params", "PERMANENT_VIA_REFERENCE", "/keyrack/infra/vault/aws.params/v1/default/testorg/prod/PARAM", ["region": "eu-west-1"], nil),
                ("acme.test.PARAM", "aws.params", "PERMANENT_VIA_REFERENCE", "/acme/test/PARAM", nil, nil),
                ("testorg.prod.AWS_PROFILE", "aws.config", "EPHEMERAL_VIA_AWS_SSO", "testorg.prod", ["awsSsoUsername": "vlad"], nil),
                ("testorg.prod.GH_SECRET", "github.secrets", "PERMANENT_VIA_REPLICA", "org/repo", nil, nil),
            ]
            for (slug, vault, mech, exid, meta, maxDuration) in more {
                hosts[slug] = host(slug, vault: vault, mech: mech, exid: exid, meta: meta, maxDuration: maxDuration)
            }
        }

        /// The default owner's `keyrack.host.age`, its os.secure value files and its os.direct JSON under `root`.
        public func write(recipients: [[String: Any]], to sealedTo: [String], in root: URL) throws {
            try seal(try manifestJSON(owner: nil, uri: "~/.rhachet/keyrack/keyrack.host.age", recipients: recipients, hosts: hosts),
                     to: sealedTo, at: root.appendingPathComponent("keyrack.host.age"))
            for (slug, value) in secure { try sealValue(value, slug: slug, owner: nil, to: sealedTo, in: root) }
            let directory = root.appendingPathComponent("vault/os.direct/owner=default")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: direct.mapValues { ["value": $0] }, options: .prettyPrinted)
                .write(to: directory.appendingPathComponent("keyrack.direct.json"))
        }
    }
}
