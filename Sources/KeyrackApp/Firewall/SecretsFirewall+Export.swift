import KeyrackOutput
import SecretBytes

extension SecretsFirewall {
    /// How many attempts ended each way (the summary line of `--into github.actions`).
    public struct Counts: Equatable, Sendable {
        public var granted = 0, blocked = 0, absent = 0

        public init(_ attempts: [Attempt]) {
            for a in attempts {
                switch a.status {
                case .granted: granted += 1
                case .blocked: blocked += 1
                case .absent: absent += 1
                }
            }
        }
    }

    /// GitHub Actions: the granted values masked (the `::add-mask::` commands go to `stdout`)
    /// and appended to the `$GITHUB_ENV` file at `githubEnv`. Nothing of a blocked value is written.
    public static func exportToGitHubActions(_ attempts: [Attempt], githubEnv: String, stdout: ([UInt8]) -> Void) throws -> Counts {
        var (out, appended) = try SourceFormat.githubActions.render(attempts.filter { $0.status == .granted }.map { ($0.name, $0.value) })
        defer { zeroize(&out); zeroize(&appended) }
        stdout(out)
        try SourceFormat.append(appended, to: githubEnv)
        return Counts(attempts)
    }
}
