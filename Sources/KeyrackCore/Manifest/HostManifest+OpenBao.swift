import KeyrackYAML
import KeyrackNames

// The manifest's optional `openbao:` section (OpenBaoSettings), read strictly and written in a
// fixed order; absent fields are omitted.

extension HostManifest {
    static func decodeOpenBao(_ node: YAMLNode) throws -> OpenBaoSettings {
        var f = try YAMLFields(node, path: "openbao")
        var s = OpenBaoSettings()
        try field(node.line) {
            s.addr = try f.optionalString("addr")
            if let addr = s.addr { try OpenBaoSettings.validate(addr: addr) }
            s.cacert = try f.optionalString("cacert")
            s.namespace = try f.optionalString("namespace")
            s.login = try f.optionalString("login").map(OpenBaoSettings.Login.init(parsing:))
            s.authMount = try f.optionalString("authMount")
            s.certRole = try f.optionalString("certRole")
            s.slot = try f.optionalString("slot")
            s.roleIdKey = try f.optionalString("roleIdKey").map(Slug.init(validating:))
            s.secretIdKey = try f.optionalString("secretIdKey").map(Slug.init(validating:))
            s.jwtRole = try f.optionalString("jwtRole")
            s.jwtAudience = try f.optionalString("jwtAudience")
            s.jwtSource = try f.optionalString("jwtSource").map(OpenBaoSettings.JWTSource.init(parsing:))
            s.leaseRole = try f.optionalString("leaseRole")
            if let role = s.leaseRole { try OpenBaoLease.validate(role: role) }
        }
        if f.keys.contains("serial") {
            guard let serial = UInt32(exactly: try f.int("serial")) else { throw YAMLError(line: node.line, "openbao.serial is out of range") }
            s.serial = serial
        }
        try f.finish()
        return s
    }

    static func encodeOpenBao(_ s: OpenBaoSettings) -> YAMLNode {
        var pairs: [(String, YAMLNode)] = []
        func add(_ name: String, _ value: String?) { if let value { pairs.append((name, .string(value))) } }
        add("addr", s.addr)
        add("cacert", s.cacert)
        add("namespace", s.namespace)
        add("login", s.login?.rawValue)
        add("authMount", s.authMount)
        add("certRole", s.certRole)
        add("slot", s.slot)
        if let serial = s.serial { pairs.append(("serial", .int(Int(serial)))) }
        add("roleIdKey", s.roleIdKey?.description)
        add("secretIdKey", s.secretIdKey?.description)
        add("jwtRole", s.jwtRole)
        add("jwtAudience", s.jwtAudience)
        add("jwtSource", s.jwtSource?.rawValue)
        add("leaseRole", s.leaseRole)
        return .map(pairs)
    }
}
