import Foundation
import KeyrackClient
import KeyrackCore
import KeyrackOutput

extension EnvFile {
    /// Reads and parses `--env-file` `path`: an absent file is a usage error, as every problem
    /// of its lines is (the parser, in KeyrackOutput, names the line).
    public static func read(path: String) throws -> EnvFile {
        guard let bytes = try FileSystem.read(URL(fileURLWithPath: path)) else {
            throw UsageError("--env-file '\(path)' does not exist")
        }
        return try EnvFile(path: path, bytes: bytes)
    }
}
