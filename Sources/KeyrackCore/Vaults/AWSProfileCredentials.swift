import Foundation
import PIV
import SecretBytes

/// EPHEMERAL_VIA_AWS_SSO on the aws.config vault: the exid is an AWS profile (SSO,
/// credential_process, assume-role, …), and `aws configure export-credentials` turns it into
/// temporary keys at unlock, as `aws-vault exec` does. The key itself is granted the profile
/// name, and three keys beside it the credentials, each capped at the credentials' expiry.
public enum AWSProfileCredentials {
    public static let derivedKeys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]

    /// A profile name as the AWS config writes it (`[profile NAME]`), and a key name that is not
    /// one of the three the credentials take.
    public static func validate(profile: String, key: KeyName) throws {
        guard !profile.isEmpty, profile.utf8.count <= 128, !profile.hasPrefix("-"),
              profile.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-@+".contains($0)) }) else {
            throw KeyrackError.usage("invalid external id '\(profile.prefix(80))' for vault aws.config", .give(.exid, "PROFILE, the name of an AWS profile (aws configure list-profiles)"))
        }
        guard !derivedKeys.contains(key.value) else {
            throw KeyrackError.usage("an aws.config key grants \(derivedKeys.joined(separator: ", ")) itself: name it AWS_PROFILE instead of \(key.value)")
        }
    }

    /// The profile's credentials: the three keys, capped at their Expiration when they have one
    /// (long-lived AKIA keys have none, and the firewall refuses them at get).
    static func export(profile: String, environment: [String: String]) throws -> KeySource.Outcome {
        var r: ToolProcess.Result
        do {
            r = try AWSCLI.run(["configure", "export-credentials", "--format", "process"], service: nil, profile: profile, region: nil, environment: environment)
        } catch let error as KeyrackError { return .missing(LockedReason(error)) }
        defer { wipe(&r.output) }
        guard r.status == 0 else { return .missing(AWSCLI.explain(AWSCLI.classify(r), profile: profile)) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(r.output)) as? [String: Any],
              let keyID = object["AccessKeyId"] as? String, let secret = object["SecretAccessKey"] as? String else {
            return .missing("aws configure export-credentials --profile \(profile) gave no AccessKeyId/SecretAccessKey")
        }
        var expiresAt: Date?
        if let text = object["Expiration"] as? String {
            guard let date = parseTime(text) else { return .missing("profile \(profile): unreadable Expiration '\(text.prefix(40))'") }
            guard date > Date() else { return .missing(AWSCLI.explain(.expired, profile: profile)) }
            expiresAt = date
        }
        var values = [("AWS_ACCESS_KEY_ID", keyID), ("AWS_SECRET_ACCESS_KEY", secret)]
        if let token = object["SessionToken"] as? String { values.append(("AWS_SESSION_TOKEN", token)) }
        return .values(values.map { KeySource.Value(key: $0.0, value: Array($0.1.utf8), expiresAt: expiresAt) })
    }

    /// ISO 8601 as botocore writes it ("2026-12-03T08:43:58+00:00", sometimes with fractions).
    static func parseTime(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }
}
