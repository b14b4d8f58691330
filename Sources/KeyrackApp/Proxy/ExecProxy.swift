import Foundation
import KeyrackClient
import KeyrackDaemon
import KeyrackNames
import KeyrackProxy
import SecretBytes
#if canImport(Glibc)
import Glibc
#endif

/// The use case behind `keyrack exec --proxy` (issue 27, "keycards, not keys"): the program gets
/// a placeholder for each key, and a proxy of this run alone puts the value back only into
/// requests to the hosts the key may be sent to (`set --send-to`).
///
/// Steps: fetch the values from the owner's daemon (the one client path `get` takes), make a
/// placeholder for each, start the proxy with a CA made in memory, write the CA bundle the
/// program trusts (the caller's bundle plus the run's CA, certificate only) into a private temp
/// directory, run the program with the placeholders and the proxy settings in its environment,
/// and when it ends stop the proxy, wipe the values and remove the directory.
public enum ExecProxy {
    public static func plainNoDestination(_ name: String) -> String {
        "keyrack: \(name) has no host to be sent to: the program gets a placeholder that no request will turn into the value (set the key again with its host)"
    }

    public struct Request: Sendable {
        public var owner: String
        public var env: String
        public var keys: [String]
        public var allowDangerous: Bool
        /// Extra PEM files of CAs the real servers may be signed by (private CAs).
        public var upstreamCACerts: [String]
        public var command: [String]
        /// The note on a key no request will carry, worded by the caller (the CLI names `set --send-to`).
        public var noDestination: @Sendable (String) -> String = ExecProxy.plainNoDestination
        public init(owner: String, env: String, keys: [String], allowDangerous: Bool, upstreamCACerts: [String] = [], command: [String]) {
            self.owner = owner; self.env = env; self.keys = keys; self.allowDangerous = allowDangerous
            self.upstreamCACerts = upstreamCACerts; self.command = command
        }
    }

    /// Runs the command; returns its exit code (128 + the signal that ended it).
    public static func run(_ request: Request, environment: [String: String] = ProcessInfo.processInfo.environment,
                           say: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> Int32 {
        // The trust store first: a bad CA file fails before any value is fetched.
        let trust = try upstreamTrust(request, environment: environment)
        var fetched = try ValueFetch(owner: request.owner, allowDangerous: request.allowDangerous)
            .environmentGrants(env: request.env, keys: request.keys)
        defer { for i in fetched.indices { zeroize(&fetched[i].value) } }

        var plan = try KeycardPlan.make(fetched.map { .init(name: $0.request.name, value: $0.value, sendTo: $0.info.sendTo,
                                                             remainingMilliseconds: $0.info.remainingMilliseconds,
                                                             slug: $0.info.slug.description) },
                                        now: Keycards.bootMilliseconds())
        for name in plan.unsent { say(request.noDestination(name)) }

        let authority = try RunAuthority()
        let owner = request.owner
        let summary = plan.summary
        let keys = plan.cards.map { ProxyRecord.Key(name: $0.name, sendTo: $0.destinations.map(\.description)) }
        let keycards = Keycards(plan.cards, note: say, live: { ExecProxy.grantedSlugs(owner: owner) })
        // The keycards are the values' one holder from here (so their wipe zeroes the bytes in place).
        plan.cards.removeAll()
        let proxy: KeycardProxy
        do {
            let audit = ProxyAudit(owner: owner)
            var configuration = KeycardProxy.Configuration(keycards: keycards, authority: authority, upstreamTrust: trust, log: say)
            configuration.record = { audit.record($0) }
            proxy = try KeycardProxy.start(configuration)
        } catch {
            keycards.wipe()
            throw ExecProxyError.proxyFailed(trust: trust, reason: String(describing: error))
        }
        defer { proxy.stop() }

        let record = ProxyRecord(pid: getpid(), port: proxy.port, keys: keys, substitutions: 0)
        ProxyRecords.write(record, owner: owner)
        defer { ProxyRecords.remove(owner: owner, pid: record.pid) }
        // Called from the proxy's connection threads: each call writes its own copy with the
        // total it was told, sharing no record between them.
        keycards.onSubstitution = { total in
            var now = record
            now.substitutions = total
            ProxyRecords.write(now, owner: owner)
        }

        let bundle = try CABundle.write(runCA: try authority.certificatePEM(), callerBundle: callerBundle(environment))
        defer { bundle.remove() }

        let child = ProxyEnvironment.make(base: environment, placeholders: plan.placeholders, proxyPort: proxy.port,
                                          caFile: bundle.file, allowedHosts: plan.hosts)
        say("keyrack: proxy for this run on 127.0.0.1:\(proxy.port): " + summary)
        return try ChildProcess.run(request.command, environment: child)
    }

    /// The slugs the owner's daemon still grants; none when it cannot be asked (stopped, gone):
    /// a value is put in only while its grant is known to live.
    static func grantedSlugs(owner: String) -> Set<String> {
        guard case .status(let status)? = try? DaemonClient(owner: owner).send(.status) else { return [] }
        return Set(status.grants.map(\.slug.description))
    }

    /// What the proxy checks real servers against: the caller's `SSL_CERT_FILE` when set (so a
    /// private trust store keeps working), else the system's; plus `--upstream-cacert` files.
    static func upstreamTrust(_ request: Request, environment: [String: String]) throws -> [String] {
        for file in request.upstreamCACerts where access(file, R_OK) != 0 {
            throw ExecProxyError.unreadableCA(file)
        }
        if request.upstreamCACerts.isEmpty, environment["SSL_CERT_FILE"].map({ $0.isEmpty }) ?? true { return [] }
        var files = request.upstreamCACerts
        if let caller = environment["SSL_CERT_FILE"], !caller.isEmpty { files.insert(caller, at: 0) }
        else if let system = CABundle.systemBundle() { files.insert(system, at: 0) }
        for file in files where access(file, R_OK) != 0 { throw ExecProxyError.unreadableCA(file) }
        return files
    }

    /// The bundle the program's other connections should keep trusting.
    static func callerBundle(_ environment: [String: String]) -> String? {
        if let caller = environment["SSL_CERT_FILE"], !caller.isEmpty, access(caller, R_OK) == 0 { return caller }
        return CABundle.systemBundle()
    }
}

public enum ExecProxyError: Error, Equatable, CustomStringConvertible {
    case unreadableCA(String)
    case noPlaceholder(name: String)
    case tempDirectory(String)
    case proxyFailed(trust: [String], reason: String)

    public var problem: String {
        switch self {
        case .unreadableCA(let f): "cannot read the CA file \(f)"
        case .noPlaceholder(let n): "\(n) is too short for a placeholder that cannot be mistaken for other text"
        case .tempDirectory(let why): "cannot make the run's private directory: \(why)"
        case .proxyFailed(let trust, let reason):
            "cannot start the proxy (\(reason))" + (trust.isEmpty ? "" : " with the CA files \(trust.joined(separator: ", "))")
        }
    }

    /// What to do, naming no option of a program (the CLI's ExecCommand words those).
    public var fix: String {
        switch self {
        case .unreadableCA: "give a readable PEM file (SSL_CERT_FILE, or an upstream CA file)"
        case .proxyFailed: "check that SSL_CERT_FILE and the upstream CA files are PEM certificate files, then retry"
        case .noPlaceholder: "pass this key without the proxy, or leave it out"
        case .tempDirectory: "check TMPDIR (it must be writable), then retry"
        }
    }

    public var description: String { "\(problem): \(fix)" }
}
