// The card's persistent state on disk, so one simulated card outlives the process that plays it
// (tests start and stop the simulator, keyrack runs in between). Written atomically: temp file,
// fsync, rename, fsync of the directory — a reader never sees half a card.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct StateFile {
    public let path: String

    public init(path: String) { self.path = path }

    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String, String)
        case unwritable(String, String)

        public var description: String {
            switch self {
            case .unreadable(let p, let why): return "cannot read card state \(p): \(why); delete it to start a fresh card"
            case .unwritable(let p, let why): return "cannot write card state \(p): \(why); check the directory exists and is writable"
            }
        }
    }

    /// The stored card, or nil when the file does not exist yet.
    public func load() throws -> CardState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode(CardState.self, from: data)
        } catch {
            throw Failure.unreadable(path, "\(error)")
        }
    }

    public func save(_ state: CardState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes: [UInt8]
        do { bytes = [UInt8](try encoder.encode(state)) + [0x0A] } catch { throw Failure.unwritable(path, "\(error)") }

        let temp = "\(path).tmp.\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure.unwritable(path, String(cString: strerror(errno))) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let why = String(cString: strerror(errno))
                close(fd); unlink(temp)
                throw Failure.unwritable(path, why)
            }
            written += n
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            unlink(temp)
            throw Failure.unwritable(path, String(cString: strerror(errno)))
        }
        guard rename(temp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temp)
            throw Failure.unwritable(path, why)
        }
        let dir = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
                       O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }
}
