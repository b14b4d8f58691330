import KeyrackCore

/// What opens an owner's manifest: `--identity` files, else KEYRACK_IDENTITY or
/// KEYRACK_IDENTITY_FD (IdentityEnvironment), else the recorded recipients (`only` one kind with
/// `unlock --using`), tried by ManifestIdentities' one rule. `interaction` answers the recorded
/// recipients' prompts (unlock's `--pin-file` supplies the PIN there).
public enum OwnerIdentities {
    public static func resolve(_ owner: OwnerName, store: HostManifestStore, paths: [String], only kind: Via? = nil,
                               interaction: Interaction) throws -> ManifestIdentities {
        if paths.isEmpty, let (identity, label) = try IdentityEnvironment.identity(interaction: interaction) {
            return ManifestIdentities(given: [identity], name: label)
        }
        return try store.identities(for: owner, explicitPaths: paths, only: kind, interaction: interaction)
    }
}
