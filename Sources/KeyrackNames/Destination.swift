// Where a key may be sent (`keyrack set --send-to HOST[:PORT]`, issue 27): the rule of the text,
// and the match of a request's host and port against it. Here, Foundation-free, so the manifest
// (KeyrackCore), the daemon's grants and the proxy (KeyrackProxy) apply one rule, not copies.

/// One destination: an exact host (`api.github.com`, `127.0.0.1`, `[::1]`) or every subdomain of a
/// domain (`*.amazonaws.com`, which does not match `amazonaws.com` itself), on one port (443 when
/// none is written). Hosts are lowercased; only LDH DNS names, IPv4 and bracketed IPv6 literals
/// pass, so nothing a URL parser could read two ways (userinfo, percent escapes, trailing dots,
/// Unicode look-alikes, `*` anywhere but a whole first label) gets in.
public struct Destination: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Lowercased; for a wildcard, the domain after `*.`. An IPv6 literal without its brackets.
    public let host: String
    /// `*.` was written: any host that ends in `.host` matches, the domain itself does not.
    public let subdomains: Bool
    public let port: UInt16

    public static let defaultPort: UInt16 = 443

    /// The rule's message when `text` breaks it, else nil.
    public static func problem(_ text: String) -> String? {
        (try? parse(text)) == nil ? message(text) : nil
    }

    public static func message(_ text: String) -> String {
        "invalid destination '\(text.prefix(80))': use HOST or HOST:PORT (a DNS name such as api.github.com, *.amazonaws.com for its subdomains, an IPv4 address, or [IPv6]); no scheme, path or user"
    }

    /// Parses `HOST[:PORT]`; nil when it breaks the rule.
    public init?(_ text: String) {
        guard let d = try? Destination.parse(text) else { return nil }
        self = d
    }

    public init(host: String, subdomains: Bool = false, port: UInt16 = Destination.defaultPort) {
        self.host = host.lowercased()
        self.subdomains = subdomains
        self.port = port
    }

    private struct Invalid: Error {}

    private static func parse(_ text: String) throws -> Destination {
        guard !text.isEmpty, text.utf8.count <= 260 else { throw Invalid() }
        var hostPart = Substring(text)
        var port = defaultPort
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw Invalid() }
            let inner = text[text.index(after: text.startIndex)..<close]
            guard isIPv6(inner) else { throw Invalid() }
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw Invalid() }
                port = try parsePort(rest.dropFirst())
            }
            return Destination(host: String(inner), subdomains: false, port: port)
        }
        if let colon = text.firstIndex(of: ":") {
            hostPart = text[..<colon]
            port = try parsePort(text[text.index(after: colon)...])
        }
        var subdomains = false
        if hostPart.hasPrefix("*.") {
            subdomains = true
            hostPart = hostPart.dropFirst(2)
        }
        let host = hostPart.lowercased()
        if isIPv4(host) {
            guard !subdomains else { throw Invalid() }
            return Destination(host: host, subdomains: false, port: port)
        }
        guard isDNSName(host) else { throw Invalid() }
        // `*.com`: a wildcard needs a domain of at least two labels.
        if subdomains, !host.contains(".") { throw Invalid() }
        return Destination(host: host, subdomains: subdomains, port: port)
    }

    private static func parsePort(_ text: Substring) throws -> UInt16 {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = UInt16(text), n > 0 else { throw Invalid() }
        return n
    }

    /// LDH labels of 1–63 characters, not starting or ending with '-', 1–253 characters in all;
    /// the last label not all digits (that would be an IPv4 address gone wrong).
    static func isDNSName(_ host: String) -> Bool {
        guard (1...253).contains(host.utf8.count) else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            let b = Array(label.utf8)
            guard (1...63).contains(b.count), b.first != UInt8(ascii: "-"), b.last != UInt8(ascii: "-"),
                  b.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }) else { return false }
        }
        return !(labels.last!.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 })
    }

    /// Dotted quad, each part 0–255 without leading zeros.
    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { p in
            guard (1...3).contains(p.utf8.count), p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let n = Int(p), n <= 255 else { return false }
            return p.utf8.count == 1 || p.first != "0"
        }
    }

    /// Hex groups and colons with at most one `::` (no zone, no embedded IPv4): enough for
    /// `[::1]` and real endpoints, and nothing a resolver could take another way.
    static func isIPv6(_ host: Substring) -> Bool {
        guard (2...39).contains(host.utf8.count),
              host.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) || $0 == UInt8(ascii: ":") }) else { return false }
        let doubles = host.ranges(of: "::").count
        guard doubles <= 1, !host.contains(":::") else { return false }
        let groups = host.split(separator: ":", omittingEmptySubsequences: true)
        guard groups.allSatisfy({ (1...4).contains($0.utf8.count) }) else { return false }
        return doubles == 1 ? groups.count <= 7 : groups.count == 8
    }

    /// Whether a request for `host:port` may carry the value. `host` is what the client asked
    /// for (CONNECT authority or Host header); it is normalised the same way before comparing.
    public func matches(host requested: String, port requestedPort: UInt16) -> Bool {
        guard requestedPort == port else { return false }
        var h = requested.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if subdomains { return h.hasSuffix("." + host) && h.utf8.count > host.utf8.count + 1 && Destination.isDNSName(h) }
        return h == host
    }

    /// Loopback literals and `localhost`: the only destinations a plain-http request may carry a
    /// value to, as such traffic never leaves the machine.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || (Destination.isIPv4(host) && host.hasPrefix("127."))
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : (subdomains ? "*." + host : host)
        return port == Destination.defaultPort ? h : "\(h):\(port)"
    }

    public static func < (a: Destination, b: Destination) -> Bool { a.description < b.description }
}
