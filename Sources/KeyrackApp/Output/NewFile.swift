#if canImport(Glibc)
import Glibc
#endif
import KeyrackClient

/// A file keyrack creates for the user (`yubikey setup -o`: an identity file, a certificate):
/// created exclusively with mode 0600, so it never writes over another file nor through a link.
public enum NewFile {
    public static func create(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CommandFailure("cannot create '\(path)': \(String(cString: strerror(errno))); choose another -o path") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw CommandFailure("cannot write '\(path)': \(String(cString: strerror(errno)))") }
    }
}
