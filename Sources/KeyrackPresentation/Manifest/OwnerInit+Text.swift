import KeyrackApp
import KeyrackCore

/// `init`'s text answer: what was created (manifest, recipient, identity, sandbox), or that the
/// owner already was; then the repository file's fate when `--org` was given.
extension OwnerInit.Result {
    public func lines(owner: OwnerName, manifestPath path: String, org: String?) -> [String] {
        var lines: [String]
        switch outcome {
        case .created(let manifest, let setup):
            lines = ["keyrack init: created owner \(owner)", "  manifest:  \(path)",
                     "  recipient: \(HostManifestStore.shorten(manifest.owner.pubkey)) (via \(via.rawValue))"]
            if let id = setup.location.identityPath { lines.append("  identity:  \(id)\(setup.createdIdentity ? " (new)" : "")") }
            if manifest.owner.sandboxed { lines.append("  sandboxed: its values go only to `keyrack exec --for \(owner.value) --sandbox`") }
        case .alreadyInitialised:
            lines = ["keyrack init: owner \(owner) is already initialised (\(path)); nothing was changed"]
        }
        switch repoFile {
        case .created(let path)?: lines.append("  repository file: \(path) (created, org \(org!))")
        case .found(let path)?: lines.append("  repository file: \(path) (found, org \(org!))")
        case .notInRepository?: lines.append("  repository file: not in a git repository; run init --org inside one to create .agent/keyrack.yml")
        case nil: break
        }
        return lines
    }
}
