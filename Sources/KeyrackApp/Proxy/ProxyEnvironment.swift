import KeyrackNames

/// The environment the program of `exec --proxy` gets: the caller's, with each key's
/// placeholder in place of a value, every proxy variable pointing at the run's proxy, `NO_PROXY`
/// without the hosts a key may go to (else the request would go around the proxy, placeholder
/// and all), and the run's CA bundle in every variable the common TLS stacks read.
enum ProxyEnvironment {
    /// AWS_CA_BUNDLE too: botocore (the aws CLI) reads no other.
    static let caVariables = ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO", "AWS_CA_BUNDLE"]
    static let proxyVariables = ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"]

    static func make(base: [String: String], placeholders: [(name: String, placeholder: [UInt8])], proxyPort: Int,
                     caFile: String, allowedHosts: [Destination]) -> [String: String] {
        var env = base
        for (name, placeholder) in placeholders { env[name] = String(decoding: placeholder, as: UTF8.self) }
        for name in proxyVariables { env[name] = "http://127.0.0.1:\(proxyPort)" }
        // ALL_PROXY would send other protocols somewhere that does not speak them.
        env["ALL_PROXY"] = nil
        env["all_proxy"] = nil
        for name in caVariables { env[name] = caFile }
        for name in ["NO_PROXY", "no_proxy"] {
            guard let list = env[name] else { continue }
            let kept = list.split(separator: ",").map { $0.trimmingCharacters() }.filter { entry in
                !entry.isEmpty && !bypasses(entry, allowedHosts)
            }
            env[name] = kept.joined(separator: ",")
        }
        return env
    }

    /// Whether a NO_PROXY entry (`host`, `.domain`, `*.domain`, `host:port`, `*`) would take one
    /// of the allowed hosts around the proxy. Wide on purpose: an entry that might is dropped.
    static func bypasses(_ entry: String, _ hosts: [Destination]) -> Bool {
        var e = entry.lowercased()
        if e == "*" { return !hosts.isEmpty }
        // curl reads CIDR ranges (10.0.0.0/8): one that holds an allowed address goes.
        if let slash = e.firstIndex(of: "/") {
            return hosts.contains { d in ProxyEnvironment.cidr(String(e[..<slash]), bits: Int(e[e.index(after: slash)...]) ?? -1, holds: d.host) }
        }
        if e.hasPrefix("[") {
            if let close = e.firstIndex(of: "]") { e = String(e[e.index(after: e.startIndex)..<close]) }
        } else if e.filter({ $0 == ":" }).count == 1, let colon = e.firstIndex(of: ":") {
            e = String(e[..<colon])
        }
        // `.example.com`, `*.example.com` and (for curl and Python) plain `example.com` all
        // cover the domain's subdomains: treat every entry as covering its name and below.
        while e.hasPrefix("*") || e.hasPrefix(".") { e.removeFirst() }
        guard !e.isEmpty else { return !hosts.isEmpty }
        return hosts.contains { d in
            if d.host == e || d.host.hasSuffix("." + e) { return true }
            // A wildcard destination also passes by any entry naming one of its subdomains.
            return d.subdomains && e.hasSuffix("." + d.host)
        }
    }
}

extension ProxyEnvironment {
    /// Whether IPv4 `network/bits` holds `host` (IPv6 ranges are taken to hold every IPv6 host).
    static func cidr(_ network: String, bits: Int, holds host: String) -> Bool {
        if network.contains(":") || host.contains(":") { return network.contains(":") && host.contains(":") }
        func value(_ s: String) -> UInt32? {
            let parts = s.split(separator: ".").compactMap { UInt32($0) }
            guard parts.count == 4, parts.allSatisfy({ $0 <= 255 }) else { return nil }
            return parts.reduce(0) { $0 << 8 | $1 }
        }
        guard let n = value(network), let h = value(host), (0...32).contains(bits) else { return false }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
        return n & mask == h & mask
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
