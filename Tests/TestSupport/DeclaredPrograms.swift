import Foundation

/// The programs scripts/programs declares (each with the Debian package, PyPI distribution or
/// stand-in it comes from). Run.process and Spawned refuse any other system program, so a test
/// that starts using one fails here, on the machine where it was installed by hand, instead of
/// on every new user's fresh machine (scripts/check-programs checks the declarations themselves).
public enum DeclaredPrograms {
    public struct Undeclared: Error, CustomStringConvertible {
        public let program: String
        public var description: String {
            "the test runs '\(program)', which scripts/programs does not declare: add it there with the "
                + "package that provides it (and that package to scripts/install-deps)"
        }
    }

    public static let names: Set<String> = {
        let table = Run.packageRoot.appendingPathComponent("scripts/programs")
        guard let text = try? String(contentsOf: table, encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").compactMap { line in
            line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                .split(separator: " ").first.map(String.init)
        })
    }()

    /// A bare name (looked up on PATH) or a path in the system's directories must be declared;
    /// the project's own binaries and the stand-ins a test writes into its temp dir need not be.
    public static func require(_ executable: String) throws {
        let system = ["/usr/", "/bin/", "/sbin/", "/opt/"]
        guard !executable.contains("/") || system.contains(where: executable.hasPrefix) else { return }
        if executable.hasPrefix(Run.packageRoot.path + "/") { return }
        let name = (executable as NSString).lastPathComponent
        guard names.contains(name) else { throw Undeclared(program: name) }
    }
}
