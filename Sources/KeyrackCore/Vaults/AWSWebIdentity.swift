import Foundation
import SecretBytes

/// EPHEMERAL_VIA_GITHUB_OIDC on the aws.config vault: a GitHub Actions job assumes the profile's
/// role with its ID token (STS AssumeRoleWithWebIdentity, as aws-actions/configure-aws-credentials
/// does), so no AWS key is stored anywhere. The profile gives `role_arn` (and its region); the
/// token, asked for with the audience `sts.amazonaws.com` (the one AWS's documentation has
/// GitHub's OIDC provider registered with), reaches `aws` through a pipe (`--web-identity-token file:///dev/stdin`), never
/// argv or a file. The key is granted the profile name and the three keys beside it the
/// temporary credentials, each until their Expiration, like EPHEMERAL_VIA_AWS_SSO.
public enum AWSWebIdentity {
    public static let defaultAudience = "sts.amazonaws.com"

    static func assume(profile: String, entry: KeyEntry, environment: [String: String], get: HTTPGet) throws -> KeySource.Outcome {
        // Outside Actions this throws GitHubActionsIDToken.Failure: the unlock ends, exit 3.
        var jwt = try GitHubActionsIDToken.request(audience: defaultAudience,
                                                   environment: environment, get: get)
        defer { wipe(&jwt) }
        let roleARN: String
        do {
            let r = try AWSCLI.run(["configure", "get", "role_arn"], service: nil, profile: profile, region: nil, environment: environment)
            roleARN = String(decoding: r.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch let error as KeyrackError { return .missing(LockedReason(error)) }
        guard roleARN.hasPrefix("arn:") else {
            return .missing("AWS profile \(profile) has no role_arn: add `role_arn = arn:aws:iam::ACCOUNT:role/ROLE` to it (the role whose trust policy admits GitHub's OIDC provider)")
        }
        var region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
        if region == nil, let r = try? AWSCLI.run(["configure", "get", "region"], service: nil, profile: profile, region: nil, environment: environment) {
            let text = String(decoding: r.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            region = text.isEmpty ? nil : text
        }
        var r: ToolProcess.Result
        do {
            r = try AWSCLI.run(["sts", "assume-role-with-web-identity", "--role-arn", roleARN, "--role-session-name", sessionName(entry),
                                "--web-identity-token", "file:///dev/stdin", "--output", "json"],
                               service: "sts", profile: nil, region: region ?? "us-east-1", environment: environment, input: jwt)
        } catch let error as KeyrackError { return .missing(LockedReason(error)) }
        defer { wipe(&r.output) }
        guard r.status == 0 else {
            return .missing("AWS refused the web identity of profile \(profile) (role \(roleARN)): \(r.firstErrorLine); check the role's trust policy (token.actions.githubusercontent.com, aud, sub)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(r.output)) as? [String: Any],
              let c = object["Credentials"] as? [String: Any], let keyID = c["AccessKeyId"] as? String,
              let secret = c["SecretAccessKey"] as? String, let token = c["SessionToken"] as? String,
              let expiry = (c["Expiration"] as? String).flatMap(AWSProfileCredentials.parseTime) else {
            return .missing("aws sts assume-role-with-web-identity gave no Credentials for profile \(profile)")
        }
        guard expiry > Date() else { return .missing(AWSCLI.explain(.expired, profile: profile)) }
        let values = [("AWS_ACCESS_KEY_ID", keyID), ("AWS_SECRET_ACCESS_KEY", secret), ("AWS_SESSION_TOKEN", token)]
        return .values(values.map { KeySource.Value(key: $0.0, value: Array($0.1.utf8), expiresAt: expiry) })
    }

    /// `keyrack-ORG-ENV` (STS: 2–64 of [\w+=,.@-]); CloudTrail shows it beside the role.
    static func sessionName(_ entry: KeyEntry) -> String {
        let raw = "keyrack-\(entry.slug.org)-\(entry.slug.env)"
        return String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@-_".contains($0)) ? $0 : "-" }.prefix(64))
    }
}
