import KeyrackCore

/// The settings of an owner's `openbao:` section in the words `set-default` takes and answers
/// with: a slug as its text, a login or JWT source by its name, nil for a setting not given (in a
/// request) or not set (in the answer). One list of the fields for the request
/// (OpenBaoDefaultsRequest, what was given) and the answer (SetDefaultJSON, what is stored), so
/// the option a person gives and the field `--json` prints cannot drift apart. Encoded by
/// JSONLine in the order declared here, a setting not set as null.
public struct OpenBaoDefaultsFields: Encodable, Equatable {
    public var addr: String?
    public var cacert: String?
    public var namespace: String?
    public var login: OpenBaoSettings.Login?
    public var authMount: String?
    public var certRole: String?
    public var slot: String?
    public var serial: UInt32?
    public var roleIdKey: String?
    public var secretIdKey: String?
    public var jwtRole: String?
    public var jwtAudience: String?
    public var jwtSource: OpenBaoSettings.JWTSource?
    public var leaseRole: String?

    public init() {}

    /// The section as the manifest keeps it, in these words.
    public init(_ s: OpenBaoSettings) {
        (addr, cacert, namespace, login, authMount) = (s.addr, s.cacert, s.namespace, s.login, s.authMount)
        (certRole, slot, serial, roleIdKey, secretIdKey) = (s.certRole, s.slot, s.serial, s.roleIdKey?.description, s.secretIdKey?.description)
        (jwtRole, jwtAudience, jwtSource, leaseRole) = (s.jwtRole, s.jwtAudience, s.jwtSource, s.leaseRole)
    }

    /// Whether no setting is given.
    public var isEmpty: Bool { self == OpenBaoDefaultsFields() }

    /// The settings that are set, as `name=value`, sorted by name (the text answer's words). Read
    /// off the stored properties themselves (their names are the JSON answer's field names), so
    /// a field added above is in both answers without a third list to keep.
    public var assignments: [String] {
        Mirror(reflecting: self).children.compactMap { child -> (name: String, value: String)? in
            guard let name = child.label else { return nil }
            switch child.value {
            // A nil of any of the types below matches the first case: nothing to print.
            case let value as String?: return value.map { (name, $0) }
            case let value as UInt32?: return value.map { (name, String($0)) }
            case let value as OpenBaoSettings.Login?: return value.map { (name, $0.rawValue) }
            case let value as OpenBaoSettings.JWTSource?: return value.map { (name, $0.rawValue) }
            default: preconditionFailure("OpenBaoDefaultsFields.\(name) has a type its text answer does not spell")
            }
        }.sorted { $0.name < $1.name }.map { "\($0.name)=\($0.value)" }
    }
}
