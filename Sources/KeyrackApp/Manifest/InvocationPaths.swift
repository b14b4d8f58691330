import Foundation

/// Where this keyrack process runs, as the use cases take it: the directory it was started in
/// (where the repository's `.agent/keyrack.yml` is looked for) and the user's home (for `~`).
public enum InvocationPaths {
    public static var currentDirectory: URL { URL(fileURLWithPath: FileManager.default.currentDirectoryPath) }

    public static var userHome: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory())
    }

    /// A path as given, made absolute against `directory` (so unlock finds it from anywhere).
    public static func absolutePath(_ path: String, in directory: String = FileManager.default.currentDirectoryPath) -> String {
        path.hasPrefix("/") ? path : directory + "/" + path
    }

    /// `~/x` as `home/x`; any other path as given.
    public static func expandingTilde(_ path: String, home: URL = userHome) -> String {
        path.hasPrefix("~/") ? home.appendingPathComponent(String(path.dropFirst(2))).path : path
    }
}
