import ArgumentParser
import KeyrackApp
import KeyrackCore
import KeyrackNames

/// Options of the commands that open an owner's manifest.
struct IdentityOptions: ParsableArguments {
    @Option(name: .customLong("identity"), help: ArgumentHelp(
        "An identity that opens the owner's manifest (ssh private key or age identity file); repeatable. Default: the identities recorded at init.",
        valueName: "path"))
    var paths: [String] = []

    @OptionGroup var pin: PINOptions

    /// What opens `owner`'s manifest (OwnerIdentities' one rule): these `--identity` files, else
    /// KEYRACK_IDENTITY / KEYRACK_IDENTITY_FD, else the recorded recipients, whose card prompts
    /// take the PIN from --pin-file or --pin-stdin (read only when asked), else the terminal.
    func identities(_ owner: OwnerName, store: HostManifestStore) throws -> ManifestIdentities {
        try OwnerIdentities.resolve(owner, store: store, paths: paths, only: nil, interaction: PINSource.terminal(pin.input).interaction)
    }
}
