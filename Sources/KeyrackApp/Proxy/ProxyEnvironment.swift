import KeyrackNames

/// The environment the program of `exec --proxy` gets: the caller's, with each key's
/// placeholder in place of a value, every proxy variable pointing at the run's proxy, `NO_PROXY`
/// without the hosts a key may go to (else the request would go around the proxy, placeholder
/// and all), and the run's CA bundle in every variable the common TLS stacks read.
enum ProxyEnvironment {
    static let caVariables = ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "GIT_SSL_CAINFO"]
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
        if let colon = e.lastIndex(of: ":"), !e.hasSuffix("]"), e.filter({ $0 == ":" }).count == 1 { e = String(e[..<colon]) }
        if e.hasPrefix("*.") { e = String(e.dropFirst(1)) }
        if e.hasPrefix("[") && e.hasSuffix("]") { e = String(e.dropFirst().dropLast()) }
        return hosts.contains { d in
            let h = d.subdomains ? "x." + d.host : d.host
            if e.hasPrefix(".") { return h.hasSuffix(e) || h == String(e.dropFirst()) || d.host.hasSuffix(e) || d.host == String(e.dropFirst()) }
            return h == e || h.hasSuffix("." + e) || d.host == e || d.host.hasSuffix("." + e)
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
