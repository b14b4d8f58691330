import KeyrackCore

/// `set-default`: an owner's OpenBao / Vault defaults, kept in its encrypted manifest (the
/// `openbao:` section). Only the settings given change; `clear` drops the section first.
public enum OpenBaoDefaults {
    /// `changes` holds the settings given (nil: unchanged). Returns the section as stored.
    public static func set(owner: OwnerName, changes: OpenBaoSettings, clear: Bool, store: HostManifestStore,
                           identities: () throws -> ManifestIdentities) throws -> OpenBaoSettings {
        try store.update(owner: owner, identities: try identities()) { manifest, _ in
            var s = clear ? OpenBaoSettings() : manifest.openbao ?? OpenBaoSettings()
            s.addr = changes.addr ?? s.addr
            s.cacert = changes.cacert ?? s.cacert
            s.namespace = changes.namespace ?? s.namespace
            s.login = changes.login ?? s.login
            s.authMount = changes.authMount ?? s.authMount
            s.certRole = changes.certRole ?? s.certRole
            s.slot = changes.slot ?? s.slot
            s.serial = changes.serial ?? s.serial
            s.roleIdKey = changes.roleIdKey ?? s.roleIdKey
            s.secretIdKey = changes.secretIdKey ?? s.secretIdKey
            s.jwtRole = changes.jwtRole ?? s.jwtRole
            s.jwtAudience = changes.jwtAudience ?? s.jwtAudience
            s.jwtSource = changes.jwtSource ?? s.jwtSource
            s.leaseRole = changes.leaseRole ?? s.leaseRole
            manifest.openbao = s.isEmpty ? nil : s
            return s
        }
    }
}
