import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The per-owner lock (`locks/<owner>.lock`) that makes every change a read-modify-write no
/// other keyrack process can interleave with. `flock` rather than a lock file's existence: the
/// kernel releases it when the holder dies, even by SIGKILL, so a crash never wedges an owner.
public final class OwnerLock {
    private let fd: Int32

    /// Blocks until this process holds the owner's exclusive lock.
    public init(home: KeyrackHome, owner: OwnerName) throws {
        try home.ensureDirectory("locks")
        let path = home.lock(owner).path
        // O_NOFOLLOW: a symlink planted as the lock would make us create or lock its target.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            if Glibc.errno == ELOOP {
                throw KeyrackError.failure("the lock file \(path) is a symbolic link, which keyrack never makes: remove it and retry")
            }
            throw FileSystem.errno("cannot open lock", path)
        }
        while flock(fd, LOCK_EX) != 0 {
            if Glibc.errno == EINTR { continue }
            let error = FileSystem.errno("cannot lock", path)
            close(fd)
            throw error
        }
        self.fd = fd
    }

    /// Whether another process holds the lock right now (without waiting).
    public static func isHeld(home: KeyrackHome, owner: OwnerName) -> Bool {
        let fd = open(home.lock(owner).path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return Glibc.errno == EWOULDBLOCK
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// Runs `body` holding the owner's lock.
    public static func withLock<T>(home: KeyrackHome, owner: OwnerName, _ body: () throws -> T) throws -> T {
        let lock = try OwnerLock(home: home, owner: owner)
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }
}
