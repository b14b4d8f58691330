import KeyrackClient
import AgeFormat
import KeyrackCore
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
#endif
import SecretBytes
import KeyrackClient

/// The identity a CI job hands keyrack without a file on disk or a flag in its script:
/// `KEYRACK_IDENTITY=PATH` (an ssh private key or age identity file), or `KEYRACK_IDENTITY_FD=N`,
/// a descriptor the job passes the secret on (`3< <(printf %s "$ROBOT_KEY")`). Used by every
/// command that opens a manifest when no --identity is given. The descriptor is read whole and
/// closed at once, so the daemon that unlock starts never inherits it.
public enum IdentityEnvironment {
    /// The identity from the environment, with what to call it; nil when neither is set.
    public static func identity(interaction: Interaction) throws -> (identity: any Identity, label: String)? {
        let path = variable("KEYRACK_IDENTITY"), fd = variable("KEYRACK_IDENTITY_FD")
        switch (path, fd) {
        case (nil, nil):
            return nil
        case (.some, .some):
            throw UsageError("both KEYRACK_IDENTITY and KEYRACK_IDENTITY_FD are set: unset one")
        case (let path?, nil):
            return (try HostManifestStore.identity(fromFile: path, interaction: interaction), "from KEYRACK_IDENTITY (\(path))")
        case (nil, let text?):
            guard let n = Int32(text), n >= 0 else { throw UsageError("KEYRACK_IDENTITY_FD='\(text.prefix(20))' is not a file descriptor number") }
            var bytes = try readAll(n)
            defer { zeroize(&bytes) }
            return (try HostManifestStore.identity(fromBytes: bytes, source: "KEYRACK_IDENTITY_FD=\(n)", interaction: interaction), "from KEYRACK_IDENTITY_FD=\(n)")
        }
    }

    private static func variable(_ name: String) -> String? {
        guard let v = getenv(name).map({ String(cString: $0) }), !v.isEmpty else { return nil }
        return v
    }

    private static func readAll(_ fd: Int32) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        defer { zeroize(&buffer); close(fd) }
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw UsageError("cannot read KEYRACK_IDENTITY_FD=\(fd): \(String(cString: strerror(errno))); pass the identity on that descriptor (e.g. 3< <(printf %s \"$KEY\"))") }
            if n == 0 { break }
            out += buffer[0..<n]
            guard out.count <= AgeKeys.maxFileBytes else { throw UsageError("KEYRACK_IDENTITY_FD=\(fd) holds more than an identity file (16 MiB)") }
        }
        guard !out.isEmpty else { throw UsageError("KEYRACK_IDENTITY_FD=\(fd) gave nothing: pass the identity on that descriptor") }
        return out
    }
}
