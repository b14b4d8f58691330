import Foundation

/// The 1password vault: the manifest stores an `op://vault/item/field` secret reference, and
/// `op read` fetches the value at unlock. At `set` the reference is checked with `op read` when
/// `op` is installed, so a typo fails now rather than at the first unlock; the value read is
/// discarded unseen.
public enum OnePassword {
    /// Checks the reference's shape: `op://` and at least vault, item and field.
    public static func validate(reference: String) throws {
        let rest = reference.dropFirst("op://".count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        guard reference.hasPrefix("op://"), parts.count >= 3, parts.allSatisfy({ !$0.isEmpty }),
              !reference.contains(where: { $0.isNewline || $0 == "\0" }), reference.utf8.count <= 512 else {
            throw KeyrackError.usage("invalid --exid '\(reference.prefix(80))' for vault 1password: use a secret reference op://VAULT/ITEM/FIELD (e.g. op://keyrack/seaturtle-github-pat/credential)")
        }
    }

    /// The `op` executable on PATH, if any.
    public static func executable(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        for dir in (environment["PATH"] ?? "").split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/op"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// What one `op read --no-newline REFERENCE` gave: the value, or the first stderr line.
    enum ReadResult {
        case value([UInt8])
        case failed(String)
    }

    /// Runs `op read --no-newline REFERENCE` (the value arrives on stdout, never through argv or
    /// a file). Used by `set` to check a reference and by `unlock` to fetch the value.
    static func read(reference: String, op: String) throws -> ReadResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: op)
        process.arguments = ["read", "--no-newline", reference]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw KeyrackError.failure("cannot run \(op): \(error.localizedDescription)")
        }
        // Drain stderr concurrently so a chatty `op` cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        var data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        group.wait()
        defer { data.resetBytes(in: 0..<data.count) }
        guard process.terminationStatus == 0 else {
            let why = String(decoding: errBox.data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
                ?? "exit \(process.terminationStatus)"
            return .failed(String(why.prefix(200)))
        }
        return .value([UInt8](data))
    }

    /// Checks at `set` that `op read` resolves the reference to a non-empty value, which is
    /// dropped unseen. Returns false when `op` is not installed (nothing could be checked).
    @discardableResult
    public static func check(reference: String) throws -> Bool {
        guard let op = executable() else { return false }
        switch try read(reference: reference, op: op) {
        case .failed(let why):
            throw KeyrackError.usage("1password could not read \(reference): \(why); check the reference (op read \(reference)) and that op is signed in")
        case .value(var value):
            defer { for i in value.indices { value[i] = 0 } }
            guard !value.isEmpty else {
                throw KeyrackError.usage("1password returned an empty value for \(reference): check the field name")
            }
            return true
        }
    }
}
