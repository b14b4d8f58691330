#if canImport(Glibc)
import Glibc
#endif

/// The programs installed next to the running one (`keyrack`, `keyrack-age`, `keyrack-cli`):
/// each small static binary answers what it fully understands and replaces itself with the next
/// one, argv unchanged, for the rest.
public enum SiblingProgram {
    /// `name` in the directory of this executable (symlinks resolved by the kernel), as
    /// NUL-terminated bytes: the path is passed on as it is, whatever its encoding.
    public static func path(_ name: String) -> [CChar] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        var dir: [CChar] = Array(".".utf8CString.dropLast())
        if n > 0, let slash = buffer[0..<n].lastIndex(of: CChar(UInt8(ascii: "/"))) {
            dir = slash == 0 ? [CChar(UInt8(ascii: "/"))] : Array(buffer[0..<slash])
        }
        return dir + Array("/\(name)".utf8CString)
    }

    /// Replaces this process with `name`, argv unchanged; returns (with errno set) only when it cannot.
    public static func exec(_ name: String) {
        execv(path(name), CommandLine.unsafeArgv)
    }

    /// Replaces this process with keyrack-cli, argv unchanged; when that cannot be done, says
    /// so in one line and exits 1.
    public static func execFullCLI() -> Never {
        let full = path("keyrack-cli")
        execv(full, CommandLine.unsafeArgv)
        let failure = errno
        let shown = String(decoding: full.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        ErrorReport(line: "error: cannot run \(shown) (\(String(cString: strerror(failure)))): keyrack-cli must be installed next to keyrack; reinstall keyrack",
                    exit: ExitStatus.failure).emit(json: ErrorReport.wantsJSON(CommandLine.arguments.dropFirst()))
        Terminal.exit(ExitStatus.failure)
    }
}
