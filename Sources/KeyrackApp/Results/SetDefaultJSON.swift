import KeyrackCore

/// `set-default --json`: the owner's OpenBao defaults as stored, a field null when not set.
public struct SetDefaultJSON: Encodable, Equatable {
    /// The `openbao:` section, its values as the manifest spells them.
    public struct Settings: Encodable, Equatable {
        public var addr: String?
        public var cacert: String?
        public var namespace: String?
        public var login: String?
        public var authMount: String?
        public var certRole: String?
        public var slot: String?
        public var serial: UInt32?
        public var roleIdKey: String?
        public var secretIdKey: String?
        public var jwtRole: String?
        public var jwtAudience: String?
        public var jwtSource: String?
        public var leaseRole: String?

        public init(_ s: OpenBaoSettings) {
            (addr, cacert, namespace, login, authMount) = (s.addr, s.cacert, s.namespace, s.login?.rawValue, s.authMount)
            (certRole, slot, serial, roleIdKey, secretIdKey) = (s.certRole, s.slot, s.serial, s.roleIdKey?.description, s.secretIdKey?.description)
            (jwtRole, jwtAudience, jwtSource, leaseRole) = (s.jwtRole, s.jwtAudience, s.jwtSource?.rawValue, s.leaseRole)
        }

        /// The settings that are set, as `name=value`, sorted by name (the text answer's words).
        public var assignments: [String] {
            let all: [(String, String?)] = [("addr", addr), ("cacert", cacert), ("namespace", namespace), ("login", login), ("authMount", authMount),
                                            ("certRole", certRole), ("slot", slot), ("serial", serial.map(String.init)), ("roleIdKey", roleIdKey),
                                            ("secretIdKey", secretIdKey), ("jwtRole", jwtRole), ("jwtAudience", jwtAudience), ("jwtSource", jwtSource),
                                            ("leaseRole", leaseRole)]
            return all.sorted { $0.0 < $1.0 }.compactMap { name, value in value.map { "\(name)=\($0)" } }
        }
    }

    public var owner: String
    public var openbao: Settings

    public init(owner: String, settings: OpenBaoSettings) {
        self.owner = owner
        openbao = Settings(settings)
    }
}
