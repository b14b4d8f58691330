import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tmpfs of `size` mounted over `url` (created if absent), to fill up or make read-only.
/// `unmount()` (or deinit) lazily unmounts it, so a test that fails half-way leaves no mount
/// behind. Needs root (mount), which the test command has; without it `init` throws saying so.
public final class TmpfsMount {
    public let url: URL
    private var mounted = false

    public struct Refused: Error, CustomStringConvertible {
        public let description: String
    }

    public init(at url: URL, size: String) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let r = try Run.process("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0700", "tmpfs", url.path])
        guard r.status == 0 else {
            throw Refused(description: "these tests mount a tmpfs and must run as root (the test command does): mount refused: \(r.err)")
        }
        mounted = true
    }

    /// Fills the file system to the last byte (a `fill` file of zeros); throws unless it is full.
    public func fill() throws {
        _ = try Run.process("/usr/bin/dd", ["if=/dev/zero", "of=\(url.appendingPathComponent("fill").path)", "bs=4k"])
        var fs = statvfs()
        guard statvfs(url.path, &fs) == 0, fs.f_bavail == 0 else { throw Refused(description: "the tmpfs at \(url.path) is not full") }
    }

    public func unfill() { unlink(url.appendingPathComponent("fill").path) }

    public func remount(readOnly: Bool) throws {
        let r = try Run.process("/usr/bin/mount", ["-o", readOnly ? "remount,ro" : "remount,rw", url.path])
        guard r.status == 0 else { throw Refused(description: "remount \(readOnly ? "ro" : "rw") refused: \(r.err)") }
    }

    public func unmount() {
        guard mounted else { return }
        mounted = false
        _ = try? Run.process("/usr/bin/umount", ["-l", url.path])
    }

    deinit { unmount() }
}
