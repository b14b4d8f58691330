import KeyrackCore

/// `set-default --json`: the owner's OpenBao defaults as stored, a field null when not set. The
/// fields are the request's own (OpenBaoDefaultsFields), as the manifest spells them.
public struct SetDefaultJSON: Encodable, Equatable {
    public var owner: String
    public var openbao: OpenBaoDefaultsFields

    public init(owner: String, settings: OpenBaoSettings) {
        self.owner = owner
        openbao = OpenBaoDefaultsFields(settings)
    }
}
