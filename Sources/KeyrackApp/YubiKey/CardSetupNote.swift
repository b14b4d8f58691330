import PIV

/// What `yubikey setup` tells a person about the card on the way, typed: the CLI words each
/// line and names the command that changes a factory secret.
public enum CardSetupNote: Equatable, Sendable {
    /// A factory secret still in place: anyone who knows the default can use it.
    case factoryPIN, factoryPUK, factoryManagementKey
    /// Setup replaced the factory management key by a random one stored PIN-protected on the card.
    case replacedFactoryManagementKey

    /// The card's factory secrets still in place, then the management key replaced if it was.
    static func notes(_ defaults: FactoryDefaults?, replacedManagementKey: Bool) -> [CardSetupNote] {
        var out: [CardSetupNote] = []
        if defaults?.pin == true { out.append(.factoryPIN) }
        if defaults?.puk == true { out.append(.factoryPUK) }
        if defaults?.managementKey == true { out.append(.factoryManagementKey) }
        if replacedManagementKey { out.append(.replacedFactoryManagementKey) }
        return out
    }
}
