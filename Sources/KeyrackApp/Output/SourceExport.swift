import KeyrackClient
import KeyrackOutput
import SecretBytes

/// `keyrack source`: an env's granted values as `format` prints them (SourceFormat), and for a
/// GitHub Actions job the same variables masked and appended to $GITHUB_ENV for the next steps.
public enum SourceExport {
    public struct Result {
        /// What to print: the caller's to write, then wipe.
        public var stdout: [UInt8]
        /// How many variables went to $GITHUB_ENV; nil when the format appends none.
        public var appendedToGitHubEnv: Int?
    }

    /// `$GITHUB_ENV` is asked before any value is fetched, so a job step without it fails with
    /// nothing fetched; every value is wiped before returning.
    public static func run(_ format: SourceFormat, githubEnv: () throws -> String = SourceFormat.githubEnvPath,
                           values fetch: () throws -> [(name: String, value: [UInt8])]) throws -> Result {
        let githubEnv = format == .githubActions ? try githubEnv() : nil
        var values = try fetch()
        defer { for i in values.indices { zeroize(&values[i].value) } }
        var (out, appended) = try format.render(values)
        defer { zeroize(&appended) }
        guard let githubEnv else { return Result(stdout: out, appendedToGitHubEnv: nil) }
        do { try SourceFormat.append(appended, to: githubEnv) } catch { zeroize(&out); throw error }
        return Result(stdout: out, appendedToGitHubEnv: values.count)
    }
}
