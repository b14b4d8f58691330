import Foundation

/// Which of the user's ssh keys `init` uses when none is named: `~/.ssh/id_ed25519.pub`, then
/// `id_ecdsa.pub`, then `id_rsa.pub`, as ssh itself tries them. ECDSA keys cannot be age
/// recipients (age has no ecdsa stanza), so one is skipped, by name, for the next.
public enum DefaultSSHKey {
    public static let candidates = ["id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub"]

    public struct Found: Equatable {
        /// The key to use, or the first candidate when there is none (the error then names it).
        public var path: String
        public var exists: Bool
        /// Keys that are there but cannot be used, with why.
        public var skipped: [(path: String, why: String)]

        public static func == (a: Found, b: Found) -> Bool {
            a.path == b.path && a.exists == b.exists && a.skipped.map(\.path) == b.skipped.map(\.path)
        }
    }

    public static func find(userHome: URL) -> Found {
        var skipped: [(String, String)] = []
        for name in candidates {
            let path = userHome.appendingPathComponent(".ssh/\(name)").path
            guard FileSystem.exists(URL(fileURLWithPath: path)) else { continue }
            if name == "id_ecdsa.pub" {
                skipped.append((path, "an ECDSA key, which age cannot encrypt to"))
                continue
            }
            return Found(path: path, exists: true, skipped: skipped)
        }
        return Found(path: userHome.appendingPathComponent(".ssh/\(candidates[0])").path, exists: false, skipped: skipped)
    }
}
