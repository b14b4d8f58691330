#if canImport(Glibc)
import Glibc
#endif
import KeyrackDaemon

// How the daemon commands (get, exec, source, status, relock, unlock, daemon) speak to users:
// the exit code of each failure class, one-line messages that name the next command, and the
// small text formats (JSON strings, shell quoting, times) they print. No Foundation here: this
// is on the path of `keyrack get`, in the front end and in the full CLI alike.

extension DaemonError: ClientReportable {
    public var cliMessage: String {
        switch self {
        case .noDaemon(let owner, _):
            return "error: every key of '\(owner)' is locked (no daemon is running): run `keyrack unlock\(Fix.ownerFlag(owner)) --env ENV`"
        case .denied(_, let reason):
            return "error: \(reason). Run keyrack as the user who owns these keys."
        case .protocolError, .malformed:
            return "error: \(description); if keyrack was just upgraded, run `keyrack daemon stop` and unlock again"
        default:
            return "error: \(description)"
        }
    }

    public var errorCode: String {
        if case .noDaemon = self { return "locked" }
        return ErrorReport.code(forExit: exitCode)
    }

    public var exitCode: Int32 {
        switch self {
        case .noDaemon: return ExitStatus.notGranted
        case .denied, .untrustedDaemon, .unsafeRuntimeDirectory: return ExitStatus.denied
        default: return ExitStatus.failure
        }
    }
}

/// The commands that fix things, spelled the way the user should type them.
public enum Fix {
    public static func ownerFlag(_ owner: String) -> String { owner == "human" ? "" : " --for \(owner)" }

    public static func unlock(owner: String, env: String?, key: String) -> String {
        "keyrack unlock\(ownerFlag(owner)) --env \(env ?? "ENV") --key \(key)"
    }

    public static func set(owner: String, env: String?, key: String) -> String {
        "keyrack set\(ownerFlag(owner)) --env \(env ?? "ENV") --key \(key)"
    }
}

/// What a `get`-like command asked for, for messages that do not depend on what exists: an
/// allowlisted-away key and a truly absent key must read the same.
public struct KeyRequest {
    public var owner: String
    public var key: String
    public var env: String?
    public var org: String?

    public init(owner: String, key: String, env: String?, org: String?) {
        self.owner = owner
        self.key = key
        self.env = env
        self.org = org
    }

    /// The bare key name (`GITHUB_TOKEN` of `ehmpathy.sudo.GITHUB_TOKEN`).
    public var name: String { GrantSlug(parsing: key)?.name ?? key }
    public var effectiveEnv: String? { GrantSlug(parsing: key)?.env ?? env }

    public var label: String {
        if GrantSlug(parsing: key) != nil { return key }
        if let org, let env { return "\(org).\(env).\(key)" }
        if let env { return "\(key) (env \(env))" }
        return key
    }

    public func absent() -> NotGranted {
        NotGranted(message: "'\(owner)' has no key \(label): add it with `\(Fix.set(owner: owner, env: effectiveEnv, key: name))`", code: "absent")
    }

    public func locked(_ slug: GrantSlug?) -> NotGranted {
        NotGranted(message: "\(slug?.description ?? label) of '\(owner)' is locked: run `\(Fix.unlock(owner: owner, env: slug?.env ?? effectiveEnv, key: name))`", code: "locked")
    }

    public func expired(_ slug: GrantSlug) -> NotGranted {
        NotGranted(message: "the grant of \(slug) for '\(owner)' has expired: run `\(Fix.unlock(owner: owner, env: slug.env, key: name))`", code: "expired")
    }

    public func ambiguous(_ slugs: [GrantSlug]) -> UsageError {
        UsageError("key \(key) matches \(slugs.map(\.description).joined(separator: ", ")): pass --env, or the full slug as --key")
    }

    /// Turns a daemon answer into the value or the right error.
    public func resolve(_ lookup: GrantLookup) throws -> (GrantInfo, [UInt8]) {
        switch lookup {
        case .granted(let info, let value): return (info, value)
        case .locked(let s): throw locked(s)
        case .expired(let s): throw expired(s)
        case .absent: throw absent()
        case .ambiguous(let list): throw ambiguous(list)
        }
    }
}

/// Refuses values that look like long-lived tokens, which should never sit in a rack meant for
/// short-lived grants: GitHub classic/OAuth/user/refresh tokens and AWS long-term access keys.
public enum Firewall {
    public static let prefixes: [(String, String)] = [
        ("ghp_", "a GitHub classic personal access token"),
        ("gho_", "a GitHub OAuth token"),
        ("ghu_", "a GitHub user-to-server token"),
        ("ghr_", "a GitHub refresh token"),
        ("AKIA", "a long-lived AWS access key"),
    ]

    public static func check(_ value: [UInt8], slug: GrantSlug, allowDangerous: Bool) throws {
        guard !allowDangerous else { return }
        for (prefix, what) in prefixes where value.starts(with: Array(prefix.utf8)) {
            throw NotGranted(message: "\(slug) holds what looks like \(what) (\(prefix)…), which keyrack refuses to hand out: store a short-lived credential instead, or pass --allow-dangerous if you must", code: "refused")
        }
    }
}

public enum TextFormat {
    /// A JSON string literal for `s` (RFC 8259 escapes; non-ASCII passes through as UTF-8).
    public static func json(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20 || c.value == 0x7f:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// `s` safe to echo on a terminal: control characters (ESC, CR, BEL, …) and DEL become
    /// `\u{1b}`-style escapes, so input echoed in an error can never move the cursor or recolour.
    public static func printable(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || (u.value >= 0x7f && u.value < 0xa0) {
                out += "\\u{" + String(u.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// POSIX shell single quoting: every byte but NUL stands for itself inside '…', and a quote
    /// is closed, escaped and reopened. Values with NUL cannot be in an environment at all.
    public static func shellQuoted(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x27]
        for b in value {
            if b == 0x27 { out += [0x27, 0x5c, 0x27, 0x27] } else { out.append(b) }
        }
        out.append(0x27)
        return out
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`: the names a shell and execve'd programs accept as variables.
    public static func isShellIdentifier(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return false }
        func alpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f }
        return alpha(first) && bytes.allSatisfy { alpha($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// ISO 8601 UTC (`2026-01-15T10:00:00Z`) from Unix milliseconds.
    public static func isoTime(milliseconds: UInt64) -> String {
        var t = time_t(milliseconds / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ n: Int32, _ w: Int = 2) -> String { let s = String(n); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1))-\(pad(tm.tm_mday))T\(pad(tm.tm_hour)):\(pad(tm.tm_min)):\(pad(tm.tm_sec))Z"
    }

    /// `1h05m`, `12m`, `40s`: how long a grant has left, for humans.
    public static func remaining(milliseconds: UInt64) -> String {
        let s = milliseconds / 1000
        if s >= 3600 { let m = (s % 3600) / 60; return "\(s / 3600)h" + (m < 10 ? "0" : "") + "\(m)m" }
        if s >= 60 { return "\(s / 60)m" }
        return "\(s)s"
    }
}

/// Writing to stdout without Foundation, bytes as they are.
public enum Output {
    public static func write(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress! + done, bytes.count - done) }
            if n > 0 { done += n } else if errno != EINTR { return }
        }
    }

    public static func line(_ text: String) { write(Array((text + "\n").utf8)) }
}
