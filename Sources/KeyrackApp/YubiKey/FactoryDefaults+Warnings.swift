import PIV

extension FactoryDefaults {
    /// One line per factory secret still in place, each naming the command that changes it.
    public var warnings: [String] {
        var out: [String] = []
        if pin == true { out.append("the PIN is the factory default 123456: change it with `keyrack yubikey change-pin`") }
        if puk == true { out.append("the PUK is the factory default 12345678: change it with `keyrack yubikey change-puk`") }
        if managementKey == true {
            out.append("the management key is the factory default: replace it with `keyrack yubikey change-management-key`")
        }
        return out
    }
}
