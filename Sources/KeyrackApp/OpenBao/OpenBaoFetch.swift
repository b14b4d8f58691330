import KeyrackClient
import Foundation
import KeyrackCore
import KeyrackOpenBao
import PIV
import SecretBytes
import KeyrackNames
import KeyrackClient

/// `unlock`'s reads of openbao keys: one session (one login, one card signature for a cert
/// login) per server, every key read, then the token revoked before anything reaches the
/// daemon. Any failure ends the unlock with nothing handed over. The token lives in this process
/// only (LockedBytes: locked, wiped), is never written or printed, and is revoked even when a
/// read fails; a token the person brought (BAO_TOKEN, ~/.vault-token) is used, never revoked.
public enum OpenBaoFetch {
    public struct Fetched {
        public var value: [UInt8]
        public var ttlSeconds: Int?
        /// `openbao:MOUNT/PATH#FIELD`, what status shows as the key's source.
        public var source: String
        /// A dynamic secret's: where the daemon's revoker ends its lease token (OpenBaoLease.Note).
        public var revocation: String? = nil
        /// A dynamic secret's lease token, for the revoker only (the grant's revocation secret).
        public var revocationSecret: [UInt8]? = nil
        /// A renewable lease's end unless renewed (wall-clock ms): the grant is not capped at it,
        /// the daemon renews it (GrantRequest.leaseMilliseconds, counted when the grant is sent).
        public var leaseEndsAtMilliseconds: UInt64? = nil

        public mutating func wipe() {
            zeroize(&value)
            if revocationSecret != nil { zeroize(&revocationSecret!) }
        }
    }

    /// Where one key is read and how to log in there.
    public struct Target: Hashable {
        public var address: String
        public var caFile: String?
    }

    /// `interaction` answers the card's PIN prompt of a cert login (unlock's --pin-stdin or
    /// --pin-file): where pcscd is open to every user the manifest's PIN does not stay verified.
    public static func fetch(_ entries: [KeyEntry], manifest: HostManifest, owner: OwnerName, interaction: Interaction = TerminalInteraction.live,
                      environment given: [String: String]? = nil) throws -> [Slug: Fetched] {
        // Every unlock calls this: one look at each entry's vault, and no filtered copy, when none is OpenBao's.
        guard entries.containsVault(.openBao) else { return [:] }
        let wanted = entries.filter { $0.vault == .openBao }
        // The process's environment only when a key is OpenBao's: every unlock calls this.
        let environment = given ?? ProcessInfo.processInfo.environment
        let settings = manifest.openbao ?? OpenBaoSettings()
        try checkMechanisms(wanted, settings: settings, owner: owner)
        let groups = try targets(wanted, settings: settings, owner: owner, environment: environment)
        var out: [Slug: Fetched] = [:]
        do {
            for (target, keys) in groups {
                let server = OpenBaoServer(address: target.address, caFile: target.caFile, namespace: namespace(settings, environment),
                                           timeoutSeconds: timeout(environment))
                let session = try OpenBaoSession(server: server)
                try session.login(try login(settings, manifest: manifest, owner: owner, interaction: interaction, environment: environment))
                defer {
                    if !session.logout() {
                        Terminal.printError("warning: could not revoke the OpenBao login token at \(session.address); it ends at its own TTL")
                    }
                }
                for entry in keys where entry.mech != .ephemeralViaOpenBaoLease {
                    let reference = try OpenBaoReference(parsing: entry.exid ?? "")
                    let kv = try session.read(path: reference.path, field: reference.field)
                    out[entry.slug] = Fetched(value: kv.value, ttlSeconds: kv.ttlSeconds, source: reference.display)
                }
                let leased = try OpenBaoLease.groups(keys)
                if !leased.isEmpty, let role = settings.leaseRole {
                    try readLeases(leased, role: role, session: session,
                                   note: OpenBaoLease.Note(address: target.address, caFile: target.caFile, namespace: server.namespace),
                                   into: &out)
                }
            }
        } catch {
            for key in out.keys { out[key]!.wipe() }
            throw error
        }
        return out
    }

    /// The dynamic secrets of one server: one lease token of the owner's token role (created with
    /// the login token, an orphan, so it survives the login token's revocation), one read per
    /// path with it, each field granted for the lease (and never past the token's own TTL), each
    /// grant carrying the token, for the daemon's revoker, and the note saying where to revoke
    /// it. Any failure revokes the lease token (and so its leases) before the error goes up.
    public static func readLeases(_ groups: [OpenBaoLease.PathGroup], role: String, session: OpenBaoSession,
                           note: OpenBaoLease.Note, into out: inout [Slug: Fetched]) throws {
        let (token, tokenSeconds, tokenRenewable) = try session.createToken(role: role)
        var handed = false
        defer {
            if !handed, (try? session.revokeSelf(token: token)) != true {
                Terminal.printError("warning: could not revoke the OpenBao lease token at \(session.address); its leases end at their own TTL")
            }
        }
        for group in groups {
            var read = try session.readLease(path: group.path, token: token)
            defer { read.wipe() }
            let seconds = OpenBaoLease.grantSeconds(leaseSeconds: read.leaseSeconds, tokenSeconds: tokenSeconds)
            // A renewable lease of a renewable token is not a cap: the grant keeps its own TTL and
            // carries the lease's end, and the note names the lease, for the daemon's renewer.
            let renewable = read.renewable && tokenRenewable && seconds != nil
            var leaseNote = note
            leaseNote.leaseID = read.leaseID
            let readAt = UInt64(Date().timeIntervalSince1970 * 1000)
            for entry in group.entries {
                let reference = try OpenBaoReference(parsing: entry.exid ?? "")
                guard let value = read.fields[reference.field] else {
                    throw OpenBaoError.missingField(path: reference.path, field: reference.field, available: Array(read.fields.keys))
                }
                out[entry.slug] = Fetched(value: value, ttlSeconds: renewable ? nil : seconds, source: reference.display,
                                          revocation: leaseNote.text, revocationSecret: token.withBytes { Array($0) },
                                          leaseEndsAtMilliseconds: renewable ? readAt + UInt64(seconds ?? 0) * 1000 : nil)
            }
        }
        handed = true
    }

    /// Where each key is read, grouped by server and CA, in address order: the key's address,
    /// else set-default's, else BAO_ADDR / VAULT_ADDR (where `bao login` sent the person's
    /// token); the key's CA, else set-default's, else BAO_CACERT / VAULT_CACERT. Every address is
    /// checked before the first connection: plain http off this machine is refused, and a key
    /// naming another server than the login's is refused rather than handed the login (an
    /// AppRole secret_id, a person's token, a card signature) meant for the owner's server.
    /// There is no per-key login: such a key moves to the owner's server.
    public static func targets(_ wanted: [KeyEntry], settings: OpenBaoSettings, owner: OwnerName,
                               environment: [String: String]) throws -> [(target: Target, entries: [KeyEntry])] {
        let loginAddress = settings.addr ?? environment["BAO_ADDR"] ?? environment["VAULT_ADDR"]
        let loginServer = try loginAddress.map { try OpenBaoSession.checkedAddress($0) }
        var groups: [Target: [KeyEntry]] = [:]
        for entry in wanted {
            guard let address = entry.addr ?? loginAddress else {
                throw OpenBaoSetupError(.usage, "no OpenBao address for \(entry.slug)", remedy: .giveAddress, owner: owner.value)
            }
            let server = try OpenBaoSession.checkedAddress(address)
            guard server == loginServer else {
                throw OpenBaoError.otherServer(key: entry.slug.description, address: server.description,
                                               loginServer: loginServer?.description, owner: owner.value)
            }
            let ca = entry.cacert ?? settings.cacert ?? environment["BAO_CACERT"] ?? environment["VAULT_CACERT"]
            groups[Target(address: server.description, caFile: ca), default: []].append(entry)
        }
        return groups.sorted { $0.key.address < $1.key.address }.map { (target: $0.key, entries: $0.value) }
    }

    /// set-default's namespace, else BAO_NAMESPACE / VAULT_NAMESPACE.
    public static func namespace(_ settings: OpenBaoSettings, _ environment: [String: String]) -> String? {
        settings.namespace ?? environment["BAO_NAMESPACE"] ?? environment["VAULT_NAMESPACE"]
    }

    /// Revokes the lease tokens of `fetched` (once each), when the unlock fails after reading
    /// them (the daemon never took them, so nothing else would).
    public static func revokeLeases(_ fetched: [Slug: Fetched]) {
        // One lease token per server per unlock: its note names the server.
        var done = Set<String>()
        for f in fetched.values {
            guard let noteText = f.revocation, let note = OpenBaoLease.Note(parsing: noteText), var secret = f.revocationSecret else { continue }
            defer { zeroize(&secret) }
            var server = note
            server.leaseID = nil  // and each lease of the token: one revocation for them all
            guard done.insert(server.text).inserted else { continue }
            if let why = revokeLeaseToken(note: note, token: secret) {
                Terminal.printError("warning: could not revoke an OpenBao lease token: \(why); its leases end at their own TTL")
            }
        }
    }

    /// `auth/token/revoke-self` with a lease token at the note's server: nil when revoked (and so
    /// its leases), else why not. The daemon's revoker and a failed unlock call it.
    public static func revokeLeaseToken(note: OpenBaoLease.Note, token: [UInt8]) -> String? {
        var copy = token
        let locked = LockedBytes(taking: &copy)
        do {
            let session = try OpenBaoSession(server: OpenBaoServer(address: note.address, caFile: note.caFile, namespace: note.namespace,
                                                                   timeoutSeconds: 4))
            return try session.revokeSelf(token: locked) ? nil : "\(note.address) did not confirm"
        } catch {
            return "\(error)"
        }
    }

    /// VAULT_CLIENT_TIMEOUT / BAO_CLIENT_TIMEOUT in seconds (as the bao CLI reads it), default 30.
    public static func timeout(_ environment: [String: String]) -> Int {
        let text = environment["BAO_CLIENT_TIMEOUT"] ?? environment["VAULT_CLIENT_TIMEOUT"] ?? ""
        let digits = text.hasSuffix("s") ? String(text.dropLast()) : text
        if let n = Int(digits), n > 0, n <= 600 { return n }
        return 30
    }

    public static func login(_ s: OpenBaoSettings, manifest: HostManifest, owner: OwnerName, interaction: Interaction = TerminalInteraction.live,
                      environment: [String: String]) throws -> OpenBaoLogin {
        let envToken = environment["BAO_TOKEN"] ?? environment["VAULT_TOKEN"]
        let how = s.login ?? .token
        switch how {
        case .token:
            if var token = envToken.map({ Array($0.utf8) }) ?? tokenFile(environment), !token.isEmpty {
                return .token(LockedBytes(taking: &token))
            }
            throw OpenBaoSetupError(.notGranted, "no OpenBao login for '\(owner.value)'", remedy: .logIn, owner: owner.value)
        case .approle:
            guard let roleKey = s.roleIdKey, let secretKey = s.secretIdKey else {
                throw OpenBaoSetupError(.notGranted, "the AppRole login of '\(owner.value)' needs its two os.secure keys", remedy: .nameAppRoleKeys, owner: owner.value)
            }
            guard var role = manifest.secrets[roleKey], var secret = manifest.secrets[secretKey] else {
                let missing = manifest.secrets[roleKey] == nil ? roleKey : secretKey
                throw OpenBaoSetupError(.notGranted, "the AppRole login of '\(owner.value)' reads \(missing), which has no os.secure value", remedy: .storeAppRoleKey, owner: owner.value)
            }
            return .appRole(mount: s.authMount ?? "approle", roleID: LockedBytes(taking: &role), secretID: LockedBytes(taking: &secret))
        case .cert:
            let slotText = s.slot ?? "9a"
            guard let slot = PIVSlot(parsing: slotText) else {
                throw OpenBaoSetupError(.usage, "invalid OpenBao login slot '\(slotText.prefix(10))'", remedy: .chooseLoginSlot(signature: false), owner: owner.value)
            }
            let signer = try OpenBaoCardSigner(serial: s.serial ?? manifest.owner.yubikey?.serial, slot: slot, interaction: interaction)
            return .cert(mount: s.authMount ?? "cert", name: s.certRole, signer: signer)
        case .jwt:
            switch s.jwtSource ?? .github {
            case .github:
                // Asked for at each unlock (the token lives minutes), kept in locked memory only.
                var jwt = try GitHubActionsIDToken.request(audience: s.jwtAudience, environment: environment) { url, headers in
                    try HTTPSPost.send(url, method: "GET", headers: headers, body: [], timeoutSeconds: timeout(environment))
                }
                return .jwt(mount: s.authMount ?? "jwt", role: s.jwtRole, token: LockedBytes(taking: &jwt))
            case .card:
                return try OpenBaoCardJWT.login(s, manifest: manifest, owner: owner, interaction: interaction)
            }
        }
    }

    /// A key of mech EPHEMERAL_VIA_GITHUB_OIDC is read only with the job's ID token: any other
    /// login of its owner is refused before a connection, so the mechanism the manifest names is
    /// the one that runs.
    public static func checkMechanisms(_ entries: [KeyEntry], settings: OpenBaoSettings, owner: OwnerName) throws {
        if settings.leaseRole == nil, let key = entries.first(where: { $0.mech == .ephemeralViaOpenBaoLease }) {
            throw OpenBaoSetupError(.usage, "\(key.slug) is a dynamic secret (EPHEMERAL_VIA_OPENBAO_LEASE), but '\(owner.value)' has no lease token role; nothing was unlocked",
                                     remedy: .setLeaseRole, owner: owner.value)
        }
        guard let key = entries.first(where: { $0.mech == .ephemeralViaGithubOidc }) else { return }
        let viaActions = settings.login == .jwt && (settings.jwtSource ?? .github) == .github
        guard viaActions else {
            throw OpenBaoSetupError(.notGranted, "\(key.slug) is EPHEMERAL_VIA_GITHUB_OIDC, but the OpenBao login of '\(owner.value)' is not the GitHub Actions ID token; nothing was unlocked",
                                     remedy: .useGitHubOIDCLogin, owner: owner.value)
        }
    }

    /// ~/.vault-token, where `bao login` and `vault login` leave the token (first line).
    public static func tokenFile(_ environment: [String: String]) -> [UInt8]? {
        guard let home = environment["HOME"], let data = FileManager.default.contents(atPath: home + "/.vault-token") else { return nil }
        var bytes = [UInt8](data)
        while let last = bytes.last, last == 10 || last == 13 || last == 32 { bytes.removeLast() }
        return bytes
    }
}
