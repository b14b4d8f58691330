import KeyrackClient
import KeyrackDaemon
#if canImport(Glibc)
import Glibc
import KeyrackClient
#endif

/// The languages `source` speaks (the CLI's help on each is KeyrackPresentation's OutputRefusal+Text). Each quotes values so that every byte comes
/// back as it was (names are shell identifiers, checked before this), and none lets a value
/// become code in the reader.
public enum SourceFormat: String, CaseIterable, Sendable {
    case sh, fish, dotenv, json
    case githubActions = "github-actions"

    /// What goes to stdout, and for github-actions what is appended to $GITHUB_ENV.
    public func render(_ values: [(name: String, value: [UInt8])]) throws -> (stdout: [UInt8], githubEnv: [UInt8]) {
        var out: [UInt8] = []
        var env: [UInt8] = []
        switch self {
        case .sh:
            for v in values { out += Array("export \(v.name)=".utf8) + TextFormat.shellQuoted(v.value) + [0x0a] }
        case .fish:
            for v in values { out += Array("set -gx \(v.name) ".utf8) + Self.fishQuoted(v.value) + Array(";\n".utf8) }
        case .dotenv:
            for v in values { try DotenvQuoting.check(name: v.name, value: v.value) }
            for v in values { out += Array("\(v.name)=".utf8) + DotenvQuoting.quoted(v.value) + [0x0a] }
        case .json:
            var object: [String: String] = [:]
            for v in values { object[v.name] = try Self.text(v) }
            out = Array((JSONLine.encode(object) + "\n").utf8)
        case .githubActions:
            for v in values {
                _ = try Self.text(v)
                // The runner masks what it was told to before any later step prints: every line of
                // a multi-line value on its own, since log lines are masked one at a time.
                for line in v.value.split(whereSeparator: { $0 == 0x0a || $0 == 0x0d }) {
                    out += Array("::add-mask::".utf8) + Self.workflowEscaped(Array(line)) + [0x0a]
                }
                if v.value.contains(where: { $0 == 0x0a || $0 == 0x0d }) {
                    let delimiter = Self.delimiter(avoiding: v.value)
                    env += Array("\(v.name)<<\(delimiter)\n".utf8) + v.value + Array("\n\(delimiter)\n".utf8)
                } else {
                    env += Array("\(v.name)=".utf8) + v.value + [0x0a]
                }
            }
        }
        return (out, env)
    }

    /// fish's single quotes: only `\\` and `\'` are escapes inside them; newlines are literal.
    public static func fishQuoted(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x27]
        for b in value {
            if b == 0x27 || b == 0x5c { out.append(0x5c) }
            out.append(b)
        }
        return out + [0x27]
    }

    /// The escapes of a workflow command's data (`%`, CR, LF), as @actions/core writes them.
    public static func workflowEscaped(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for b in value {
            switch b {
            case 0x25: out += Array("%25".utf8)
            case 0x0d: out += Array("%0D".utf8)
            case 0x0a: out += Array("%0A".utf8)
            default: out.append(b)
            }
        }
        return out
    }

    /// `ghadelimiter_<random hex>`, as @actions/core names it, never a line of the value.
    public static func delimiter(avoiding value: [UInt8]) -> String {
        while true {
            var g = SystemRandomNumberGenerator()
            let d = "ghadelimiter_" + (0..<16).map { _ in String(UInt8.random(in: 0...255, using: &g), radix: 16) }.joined()
            if !value.split(separator: 0x0a).contains(where: { $0.elementsEqual(d.utf8) || $0.elementsEqual((d + "\r").utf8) }) { return d }
        }
    }

    /// JSON and the runner's files carry text: a value that is not UTF-8 is refused by name.
    private static func text(_ v: (name: String, value: [UInt8])) throws -> String {
        guard let s = String(validating: v.value, as: UTF8.self) else {
            throw OutputRefusal(.failure, "the value of \(v.name) is not UTF-8 text, which this format cannot carry", remedy: .shOrTheValueAlone)
        }
        return s
    }

    /// The file GitHub Actions names in $GITHUB_ENV (asked before anything is printed).
    public static func githubEnvPath() throws -> String {
        guard let path = getenv("GITHUB_ENV").map({ String(cString: $0) }), !path.isEmpty else {
            throw OutputRefusal(.usage, "the github-actions format appends to $GITHUB_ENV, which is not set", remedy: .inAStepOrAnotherFormat)
        }
        return path
    }

    /// Appends to that file in one write, so a concurrent step never sees half a heredoc.
    public static func append(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CommandFailure("cannot open $GITHUB_ENV (\(path)): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw CommandFailure("cannot append to $GITHUB_ENV (\(path)): \(String(cString: strerror(errno)))") }
    }
}
