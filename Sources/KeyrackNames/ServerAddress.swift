// A server's address (an OpenBao / Vault cluster, the GitHub API) and the one rule of where plain
// http may go. It lives here, Foundation-free, because both sides that apply it depend on this
// module and not on each other: the core checks an address when `set`/`set-default` is given one
// and when it builds the GitHub API's URL, and the HTTP client (KeyrackOpenBao's Endpoint) checks
// it again just before it connects, whatever a hand-edited manifest or the environment says. One
// parse and one rule, so the check at `set` and the check before connect cannot disagree about
// which host an address names.

/// `http(s)://HOST[:PORT][/…]`, parsed strictly: no user info, no characters a resolver or a URL
/// parser could read differently (`@`, `#`, `?`, `%` outside an IPv6 literal, spaces).
public struct ServerAddress: Equatable, Sendable, CustomStringConvertible {
    /// Why an address does not parse, worded for the person who typed it.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public let isTLS: Bool
    /// As given (an IPv6 literal without its brackets); compared case-insensitively.
    public let host: String
    public let port: Int

    public init(parsing address: String) throws {
        let shown = String(address.prefix(80))
        let lower = address.lowercased()
        let isTLS = lower.hasPrefix("https://")
        guard isTLS || lower.hasPrefix("http://") else {
            throw Invalid(description: "invalid address '\(shown)': use https://HOST:PORT")
        }
        var rest = Substring(address.dropFirst(isTLS ? 8 : 7))
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host = rest, port = isTLS ? 443 : 80
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == ":" || $0 == ".") }) else {
                throw Invalid(description: "invalid IPv6 host in address '\(shown)': use https://[ADDRESS]:PORT")
            }
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw Invalid(description: "invalid port in address '\(shown)': use https://HOST:PORT with a port of 1-65535")
                }
                port = p
            }
        } else {
            if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                    throw Invalid(description: "invalid port in address '\(shown)': use https://HOST:PORT with a port of 1-65535")
                }
                port = p
            }
            guard !host.isEmpty else { throw Invalid(description: "invalid address '\(shown)': no host: use https://HOST:PORT") }
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }) else {
                throw Invalid(description: "invalid host in address '\(shown)': use a DNS name or an IP address, with no user@ part")
            }
        }
        self.isTLS = isTLS
        self.host = String(host)
        self.port = port
    }

    /// `https://HOST:PORT`, with an IPv6 host in brackets.
    public var description: String { "\(isTLS ? "https" : "http")://\(authority)" }
    /// HOST:PORT as a URL and a Host header spell it.
    public var authority: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    public var isIPAddress: Bool { host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." } }

    /// Whether plain http may go here: only to this machine's loopback.
    public var allowsPlainHTTP: Bool { ServerAddress.isLoopback(host: host) }

    /// The one line refusing plain http to a host off this machine, or nil when the address is
    /// https or loopback.
    public var plainHTTPRefusal: String? {
        guard !isTLS, !allowsPlainHTTP else { return nil }
        return ServerAddress.plainHTTPRefusal(description)
    }

    public static func == (a: ServerAddress, b: ServerAddress) -> Bool {
        a.isTLS == b.isTLS && a.port == b.port && a.host.lowercased() == b.host.lowercased()
    }

    /// Loopback: `localhost`, `::1` (bracketed or not) and 127.0.0.0/8 written as four decimal
    /// octets. Anything else, `127.1` and octets with leading zeros included (inet_aton reads
    /// `0177.0.0.1` as octal), is not: the rule refuses what it cannot read unambiguously.
    public static func isLoopback(host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h == "::1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ octet in
            (1...3).contains(octet.count) && octet.allSatisfy { $0.isASCII && $0.isNumber }
                && (octet == "0" || !octet.hasPrefix("0")) && Int(octet)! <= 255
        }) else { return false }
        return octets[0] == "127"
    }

    public static func plainHTTPRefusal(_ address: String) -> String {
        "refusing plain http to \(address.prefix(80)): a login and secrets would cross the network in clear; use https:// (plain http is allowed to loopback only: 127.0.0.0/8, ::1, localhost)"
    }
}
