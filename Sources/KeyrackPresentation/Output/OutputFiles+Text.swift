import KeyrackApp

/// The secrets-out commands' notes on stderr (their values go to stdout or a file, never here).
extension Inject.Result {
    /// `inject -o`: the file written and how many placeholders were filled.
    public func wroteLine(_ output: String) -> String {
        "keyrack inject: wrote \(output) (mode 0600, \(placeholders) placeholder(s) filled)"
    }
}

extension SourceExport.Result {
    /// `source --format github-actions` in a job: the variables handed to the next steps.
    public var gitHubEnvLine: String? {
        appendedToGitHubEnv.map { "keyrack source: \($0) variable(s) masked and appended to $GITHUB_ENV for the next steps" }
    }
}
