/// The identity agent's requests and responses on the daemon protocol (version 1, same frames):
///
///     0x07 AGENT START   ttl u64, n × (kind, label, descriptor, secret)   → 0x87 status
///     0x08 AGENT UNWRAP  secret? (u8 flag, bytes), n files × m stanzas     → 0x88 results | 0x89 prompt
///     0x09 AGENT STATUS                                                  → 0x8A u8 flag, status?
///
/// A stanza is `type, u32 n × argument, body`. Results are `u8 tag` (0 key, 1 not mine,
/// 2 invalid + stanza index + message). Limits keep a hostile frame to an error reply.
enum AgentWire {
    static let maximumFiles = 4096
    static let maximumStanzas = 1024
    static let maximumArguments = 64

    static func encode(_ key: AgentKeyRequest, into w: inout WireWriter) {
        w.string(key.kind); w.string(key.label); w.string(key.descriptor); w.data(key.secret)
    }

    static func decodeKey(_ r: inout WireReader) throws -> AgentKeyRequest {
        AgentKeyRequest(kind: try r.string("agent.kind", max: 32), label: try r.string("agent.label", max: 1024),
                        descriptor: try r.string("agent.descriptor", max: 16 << 10),
                        secret: try r.data("agent.secret", max: Frame.maximumValueSize))
    }

    static func encode(files: [[AgentStanza]], into w: inout WireWriter) {
        w.count(files.count)
        for stanzas in files {
            w.count(stanzas.count)
            for s in stanzas {
                w.string(s.type); w.count(s.arguments.count)
                for a in s.arguments { w.string(a) }
                w.data(s.body)
            }
        }
    }

    static func decodeFiles(_ r: inout WireReader) throws -> [[AgentStanza]] {
        let n = try r.count("unwrap.files", minimumItemSize: 4)
        guard n <= maximumFiles else { throw DaemonError.malformed("unwrap.files: \(n) is over the limit of \(maximumFiles)") }
        var files: [[AgentStanza]] = []
        for _ in 0..<n {
            let m = try r.count("unwrap.stanzas", minimumItemSize: 12)
            guard m <= maximumStanzas else { throw DaemonError.malformed("unwrap.stanzas: \(m) is over the limit of \(maximumStanzas)") }
            var stanzas: [AgentStanza] = []
            for _ in 0..<m {
                let type = try r.string("stanza.type", max: 1024)
                let k = try r.count("stanza.arguments", minimumItemSize: 4)
                guard k <= maximumArguments else { throw DaemonError.malformed("stanza.arguments: \(k) is over the limit of \(maximumArguments)") }
                var arguments: [String] = []
                for _ in 0..<k { arguments.append(try r.string("stanza.argument", max: 16 << 10)) }
                stanzas.append(AgentStanza(type: type, arguments: arguments, body: try r.data("stanza.body", max: 1 << 20)))
            }
            files.append(stanzas)
        }
        return files
    }

    static func encode(results: [AgentFileResult], into w: inout WireWriter) {
        w.count(results.count)
        for result in results {
            switch result {
            case .fileKey(let key): w.u8(0); w.data(key)
            case .notMine: w.u8(1)
            case .invalid(let stanza, let message): w.u8(2); w.count(stanza); w.string(String(message.prefix(1000)))
            }
        }
    }

    static func decodeResults(_ r: inout WireReader) throws -> [AgentFileResult] {
        let n = try r.count("unwrap.results", minimumItemSize: 1)
        var results: [AgentFileResult] = []
        for _ in 0..<n {
            switch try r.u8("result.tag") {
            case 0: results.append(.fileKey(try r.data("result.key", max: 64)))
            case 1: results.append(.notMine)
            case 2: results.append(.invalid(stanza: Int(try r.u32("result.stanza")), message: try r.string("result.message")))
            case let t: throw DaemonError.malformed("result.tag: unknown \(t)")
            }
        }
        return results
    }

    static func encode(_ s: AgentStatus, into w: inout WireWriter) {
        w.u64(s.remainingMilliseconds); w.u64(s.expiresAtWallMilliseconds); w.u64(s.unwrapped)
        w.count(s.labels.count); for l in s.labels { w.string(l) }
    }

    static func decodeStatus(_ r: inout WireReader) throws -> AgentStatus {
        let remaining = try r.u64("agent.remaining"), expires = try r.u64("agent.expiresAt"), unwrapped = try r.u64("agent.unwrapped")
        let n = try r.count("agent.labels", minimumItemSize: 4)
        var labels: [String] = []
        for _ in 0..<n { labels.append(try r.string("agent.label", max: 1024)) }
        return AgentStatus(labels: labels, remainingMilliseconds: remaining, expiresAtWallMilliseconds: expires, unwrapped: unwrapped)
    }

    /// Optional secret: a flag byte, then the bytes.
    static func encode(secret: [UInt8]?, into w: inout WireWriter) {
        w.u8(secret == nil ? 0 : 1)
        if let secret { w.data(secret) }
    }

    static func decodeSecret(_ r: inout WireReader) throws -> [UInt8]? {
        switch try r.u8("unwrap.hasSecret") {
        case 0: return nil
        case 1: return try r.data("unwrap.secret", max: 1024)
        case let f: throw DaemonError.malformed("unwrap.hasSecret: \(f) is neither 0 nor 1")
        }
    }
}
