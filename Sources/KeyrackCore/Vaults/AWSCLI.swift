import Foundation

/// The AWS CLI v2, which owns AWS's credential chain (profiles, SSO, credential_process, IMDS):
/// keyrack never talks to AWS itself. Found the same way every time: `KEYRACK_AWS_CLI` when set,
/// else the first `aws` on PATH that is version 2.9 or newer (`configure export-credentials`
/// arrived in 2.9); an older `aws` earlier on PATH, such as a pip-installed v1, is passed over.
public enum AWSCLI {
    public static let minimum = (major: 2, minor: 9)
    public static let installAdvice = "install the AWS CLI v2 (Debian 12: apt install awscli; elsewhere https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)"

    public enum Location: Equatable {
        case found(path: String, version: String)
        /// No `aws` at all on PATH (or KEYRACK_AWS_CLI is not executable).
        case missing
        /// Only versions too old for keyrack: each path with the version it reported.
        case tooOld([String])
    }

    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> Location {
        // One look per process (an unlock of several AWS keys asks again and again; `aws
        // --version` of a Python CLI costs most of a second).
        let cacheKey = (environment["KEYRACK_AWS_CLI"] ?? "") + "\0" + (environment["PATH"] ?? "")
        if let cached = cache[cacheKey] { return cached }
        let location = search(environment: environment)
        cache[cacheKey] = location
        return location
    }

    private static var cache: [String: Location] = [:]

    private static func search(environment: [String: String]) -> Location {
        var old: [String] = []
        func check(_ path: String) -> String? {
            guard let version = version(of: path, environment: environment) else { old.append("\(path) (version unknown)"); return nil }
            if isRecent(version) { return version }
            old.append("\(path) (aws-cli/\(version))")
            return nil
        }
        if let pinned = environment["KEYRACK_AWS_CLI"], !pinned.isEmpty {
            guard access(pinned, X_OK) == 0 else { return .missing }
            return check(pinned).map { .found(path: pinned, version: $0) } ?? .tooOld(old)
        }
        var found: (String, String)?
        _ = ToolProcess.find("aws", environment: environment) { path in
            guard let v = check(path) else { return false }
            found = (path, v)
            return true
        }
        if let found { return .found(path: found.0, version: found.1) }
        return old.isEmpty ? .missing : .tooOld(old)
    }

    /// The path of a usable `aws`, or the one-line reason there is none.
    public static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<String, KeyrackError> {
        switch locate(environment: environment) {
        case .found(let path, _): return .success(path)
        case .missing:
            return .failure(.failure("the AWS CLI `aws` is not on PATH\(environment["KEYRACK_AWS_CLI"].map { " (KEYRACK_AWS_CLI=\($0) is not executable)" } ?? ""): \(installAdvice)"))
        case .tooOld(let seen):
            return .failure(.failure("keyrack needs the AWS CLI v2 (\(minimum.major).\(minimum.minor) or newer) and found only \(seen.joined(separator: ", ")): \(installAdvice), or point KEYRACK_AWS_CLI at it"))
        }
    }

    /// `X.Y.Z` from `aws --version` ("aws-cli/2.9.19 Python/3.11.2 …"), nil when it says nothing usable.
    static func version(of path: String, environment: [String: String]) -> String? {
        guard let r = try? ToolProcess.run(path, ["--version"], environment: environment, timeout: 30), r.status == 0 else { return nil }
        let text = String(decoding: r.output, as: UTF8.self) + r.errorText
        guard let range = text.range(of: "aws-cli/") else { return nil }
        let version = text[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return version.isEmpty ? nil : String(version)
    }

    static func isRecent(_ version: String) -> Bool {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        guard let major = parts.first else { return false }
        return major > minimum.major || (major == minimum.major && (parts.dropFirst().first ?? 0) >= minimum.minor)
    }

    /// Runs `aws ARGS` with the caller's environment and, when given, `--profile`/`--region`.
    /// `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`) are passed on as `--endpoint-url`
    /// for the `service` called, because CLI releases before 2.13 ignore those variables.
    static func run(_ arguments: [String], service: String?, profile: String?, region: String?,
                    environment: [String: String], input: [UInt8]? = nil) throws -> ToolProcess.Result {
        let aws = try executable(environment: environment).get()
        var args = arguments
        if let profile { args += ["--profile", profile] }
        if let region { args += ["--region", region] }
        if let service, let endpoint = environment["AWS_ENDPOINT_URL_\(service.uppercased())"] ?? environment["AWS_ENDPOINT_URL"], !endpoint.isEmpty {
            args += ["--endpoint-url", endpoint]
        }
        return try ToolProcess.run(aws, args, environment: environment, input: input)
    }

    /// The AWS CLI's failures, told apart so each says what to do next.
    public enum Failure: Equatable {
        case noRegion, noCredentials, expired, ssoExpired, noProfile, notFound, other(String)
    }

    static func classify(_ r: ToolProcess.Result) -> Failure {
        let text = r.errorText
        if text.contains("ParameterNotFound") { return .notFound }
        if text.contains("You must specify a region") { return .noRegion }
        if text.contains("Error loading SSO Token") || text.contains("Error when retrieving token from sso") || text.contains("SSO session") && text.contains("expired") {
            return .ssoExpired
        }
        if text.contains("still expired") || text.contains("ExpiredToken") || text.contains("RequestExpired") || text.contains("security token included in the request is expired") {
            return .expired
        }
        if text.contains("could not be found") && text.contains("profile") { return .noProfile }
        if text.contains("Unable to locate credentials") || text.contains("No credentials") { return .noCredentials }
        return .other(r.firstErrorLine)
    }

    /// One line for `failure`, naming the profile (when one was used) and the next step (`aws`'s
    /// own commands and options; keyrack's are a typed remedy).
    static func explain(_ failure: Failure, profile: String?) -> LockedReason {
        let p = profile.map { " --profile \($0)" } ?? ""
        switch failure {
        case .noRegion: return LockedReason("no AWS region", remedy: .giveRegion)
        case .noCredentials: return "no AWS credentials: set AWS_PROFILE or the AWS_ACCESS_KEY_ID variables, add an AWS_PROFILE key to the org, or run `aws configure`"
        case .expired: return "the AWS credentials\(profile.map { " of profile \($0)" } ?? "") have expired: refresh them (for SSO: aws sso login\(p)) and unlock again"
        case .ssoExpired: return "the AWS SSO session\(profile.map { " of profile \($0)" } ?? "") has expired or was never started: run `aws sso login\(p)` and unlock again"
        case .noProfile: return "AWS profile \(profile ?? "?") is not in the AWS config: check the name (aws configure list-profiles)"
        case .notFound: return "the SSM parameter does not exist"
        case .other(let line): return "aws failed: \(line)"
        }
    }
}
