import ArgumentParser
import KeyrackHelp

/// `keyrack yubikey …`: the cards, their age identity slots, and their PIN/PUK/management key.
struct YubiKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yubikey",
        abstract: "List YubiKeys, make age identity keys on them, and change their PIN, PUK and management key.",
        discussion: Help.yubiKey,
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
