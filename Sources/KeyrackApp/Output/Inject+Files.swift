import Foundation
import KeyrackClient
import KeyrackCore
import SecretBytes

extension Inject {
    /// What `inject` did: the filled template for stdout (the caller's to write and wipe), or
    /// the file it wrote; and how many placeholders it filled.
    public struct Result {
        public var stdout: [UInt8]?
        public var placeholders: Int
    }

    /// The template at `input` (default: `stdin`) filled with `owner`'s granted values, all or
    /// nothing. With `output` it is written there whole (mode 0600, atomically: never half
    /// written) and nothing is returned for stdout.
    public static func run(input: String?, output: String?, owner: String, allowDangerous: Bool,
                           stdin: () -> [UInt8] = { SecretPrompt.readAllOfStdin(keepingNewline: true) }) throws -> Result {
        var bytes: [UInt8]
        if let input {
            guard let read = try FileSystem.read(URL(fileURLWithPath: input)) else { throw UsageError("template '\(input)' does not exist") }
            bytes = read
        } else {
            bytes = stdin()
        }
        defer { zeroize(&bytes) }
        let rendered = try render(bytes, path: input ?? "stdin", owner: owner, allowDangerous: allowDangerous)
        var result = rendered.output
        guard let output else { return Result(stdout: result, placeholders: rendered.placeholders) }
        defer { zeroize(&result) }
        try FileSystem.writeAtomically(result, to: URL(fileURLWithPath: output), mode: 0o600)
        return Result(stdout: nil, placeholders: rendered.placeholders)
    }
}
