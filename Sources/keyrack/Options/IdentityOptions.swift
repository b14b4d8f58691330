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

/// The options of the commands that open an owner's manifest: the owner and --json
/// (OwnerOptions), then what opens the manifest (IdentityOptions).
struct ManifestOptions: ParsableArguments {
    @OptionGroup var owner: OwnerOptions
    @OptionGroup var identity: IdentityOptions

    /// The owner, typed; the host's store; what opens the owner's manifest, read only when a
    /// use case opens it.
    func access() throws -> (owner: OwnerName, store: HostManifestStore, identities: () throws -> ManifestIdentities) {
        let owner = try self.owner.ownerName()
        let store = try HostManifestStore.fromEnvironment()
        return (owner, store, { try identity.identities(owner, store: store) })
    }

    /// The owner, typed, and its manifest, opened.
    func manifest() throws -> (owner: OwnerName, manifest: HostManifest) {
        let (owner, store, identities) = try access()
        return (owner, try store.load(owner: owner, identities: identities()))
    }

    func answer<Value: Encodable>(_ value: @autoclosure () -> Value, text: () throws -> Void) rethrows {
        try owner.answer(value(), text: text)
    }
}
