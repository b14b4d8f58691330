import ArgumentParser

/// `keyrack yubikey …`: the cards, their age identity slots, and their PIN/PUK/management key.
struct YubiKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yubikey",
        abstract: "List YubiKeys, make age identity keys on them, and change their PIN, PUK and management key.",
        discussion: """
        Keys live in the twenty retired PIV slots (82–95) and are compatible with \
        age-plugin-yubikey: recipients are age1yubikey1…, identities AGE-PLUGIN-YUBIKEY-1…. \
        PINs are read from the terminal without echo, or from stdin with --pin-stdin; never \
        from the command line. Card problems exit with status 5.
        """,
        subcommands: [
            YubiKeyListCommand.self,
            YubiKeySetupCommand.self,
            YubiKeyChangePINCommand.self,
            YubiKeyChangePUKCommand.self,
            YubiKeyUnblockPINCommand.self,
            YubiKeyChangeManagementKeyCommand.self,
        ]
    )
}
