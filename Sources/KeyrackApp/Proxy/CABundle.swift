import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The CA file the program of `exec --proxy` trusts: the caller's bundle (so every other host
/// still verifies) followed by the run's CA certificate. It lives in a directory of its own made
/// 0700 under TMPDIR, is written 0600, and both are removed when the run ends. The CA's private
/// key is never here: it exists only in keyrack's memory.
struct CABundle {
    let directory: String
    let file: String

    /// Where Debian, Fedora/RHEL, openSUSE and Alpine keep the system's bundle.
    static let systemPaths = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                              "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"]

    static func systemBundle() -> String? { systemPaths.first { access($0, R_OK) == 0 } }

    static func write(runCA: String, callerBundle: String?) throws -> CABundle {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") + "/keyrack-proxy.XXXXXX"
        var template = Array(base.utf8CString)
        guard mkdtemp(&template) != nil else { throw ExecProxyError.tempDirectory(String(cString: strerror(errno))) }
        let directory = String(cString: template)
        let bundle = CABundle(directory: directory, file: directory + "/ca-bundle.pem")
        do {
            var contents = callerBundle.flatMap { FileManager.default.contents(atPath: $0) } ?? Data()
            if let last = contents.last, last != 0x0a { contents.append(0x0a) }
            contents.append(Data(runCA.utf8))
            let fd = open(bundle.file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ExecProxyError.tempDirectory(String(cString: strerror(errno))) }
            defer { close(fd) }
            let written = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written == contents.count else { throw ExecProxyError.tempDirectory("short write of \(bundle.file)") }
        } catch {
            bundle.remove()
            throw error
        }
        return bundle
    }

    func remove() {
        unlink(file)
        rmdir(directory)
    }
}
