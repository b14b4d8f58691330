import KeyrackApp

/// `yubikey setup`'s notes about the card, naming the keyrack command that changes a factory secret.
extension CardSetupNote {
    public var line: String {
        switch self {
        case .factoryPIN: "warning: the PIN is the factory default 123456: change it with `keyrack yubikey change-pin`"
        case .factoryPUK: "warning: the PUK is the factory default 12345678: change it with `keyrack yubikey change-puk`"
        case .factoryManagementKey: "warning: the management key is the factory default: replace it with `keyrack yubikey change-management-key`"
        case .replacedFactoryManagementKey: "note: the factory management key was replaced by a random one stored PIN-protected on the card"
        }
    }
}
