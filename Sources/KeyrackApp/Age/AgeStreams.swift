import AgeFormat
#if canImport(Glibc)
import Glibc
#endif

/// The input of an age command: a file path, or stdin for none or `-`. (The output is AgeFormat's
/// AgeOutput, one copy for keyrack-cli and keyrack-age.)
public enum AgeInput {
    public static func open(_ path: String?) throws -> FileDescriptorSource {
        guard let path, path != "-" else { return FileDescriptorSource.standardInput() }
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AgeToolError.cannotOpenInput(path: path, reason: String(cString: strerror(errno))) }
        return FileDescriptorSource(fd: fd)
    }
}
