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

    /// The host's store and, read only when a use case opens the manifest, what opens `owner`'s.
    func access(_ owner: OwnerName) throws -> (store: HostManifestStore, identities: () throws -> ManifestIdentities) {
        let store = try HostManifestStore.fromEnvironment()
        return (store, { try identities(owner, store: store) })
    }

    /// `owner`'s manifest, opened.
    func manifest(_ owner: OwnerName) throws -> HostManifest {
        let (store, identities) = try access(owner)
        return try store.load(owner: owner, identities: identities())
    }
}
