import KeyrackApp
import KeyrackClient

/// `sandbox require|release`: where the owner's values may go now, and what its running daemon does.
extension SandboxRequirement.Outcome {
    public var lines: [String] {
        let state = required ? "go only to its sandboxes (keyrack exec --for \(owner) --sandbox)" : "may go to unsandboxed programs"
        var lines = ["keyrack sandbox: the values of '\(owner)' \(state)\(unchanged ? " (unchanged)" : "")"]
        if required && daemonRunning { lines.append("  its running daemon was told and enforces it now") }
        if !required && daemonRunning {
            lines.append("  its running daemon keeps requiring the sandbox until it stops: keyrack daemon stop\(Fix.ownerFlag(owner))")
        }
        return lines
    }
}
