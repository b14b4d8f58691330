import Crypto
import Foundation
import KeyrackCore

/// Where the TypeScript keyrack kept things, in the same home directory (notes §2.2, §2.5):
/// `keyrack.host.age` (its default owner, `human` here) and `keyrack.host.<owner>.age`, and the
/// per-owner vault directories `vault/os.secure/owner=<owner|default>/<slughash16>.age` and
/// `vault/os.direct/owner=<owner|default>/keyrack.direct.json`. Read only, never written.
struct TypeScriptKeyrackFiles {
    let root: URL

    /// One old manifest: the TypeScript owner (nil = its default) and the keyrack owner name.
    struct Manifest {
        var url: URL
        var tsOwner: String?
        var owner: String
    }

    /// Every old host manifest in the home, default owner first, then by name.
    func manifests() -> [Manifest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().compactMap { name -> Manifest? in
            guard name.hasPrefix("keyrack.host."), name.hasSuffix(".age") else { return nil }
            if name == "keyrack.host.age" { return manifest(for: OwnerName.human.value) }
            let owner = String(name.dropFirst("keyrack.host.".count).dropLast(".age".count))
            guard !owner.isEmpty else { return nil }
            return Manifest(url: root.appendingPathComponent(name), tsOwner: owner, owner: owner)
        }.sorted { ($0.tsOwner == nil ? 0 : 1, $0.owner) < ($1.tsOwner == nil ? 0 : 1, $1.owner) }
    }

    /// The old manifest of keyrack owner `owner` (whether or not it exists).
    func manifest(for owner: String) -> Manifest {
        owner == OwnerName.human.value
            ? Manifest(url: root.appendingPathComponent("keyrack.host.age"), tsOwner: nil, owner: owner)
            : Manifest(url: root.appendingPathComponent("keyrack.host.\(owner).age"), tsOwner: owner, owner: owner)
    }

    private func vaultDir(_ vault: String, _ tsOwner: String?) -> URL {
        root.appendingPathComponent("vault/\(vault)/owner=\(tsOwner ?? "default")")
    }

    /// The os.secure value file of `slug`: named by the first 16 hex digits of SHA-256(slug).
    func secureValue(slug: String, tsOwner: String?) -> URL {
        let hash = SHA256.hash(data: Data(slug.utf8)).map { String(format: "%02x", $0) }.joined().prefix(16)
        return vaultDir("os.secure", tsOwner).appendingPathComponent("\(hash).age")
    }

    /// The os.direct values (`{slug: {value, expiresAt?}}`), empty when the file is absent.
    func directValues(tsOwner: String?) throws -> [String: String] {
        let url = vaultDir("os.direct", tsOwner).appendingPathComponent("keyrack.direct.json")
        guard let bytes = try FileSystem.read(url) else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw MigrationError.damaged(path: url.path, why: "not the JSON object of os.direct values")
        }
        return object.compactMapValues { ($0 as? [String: Any])?["value"] as? String }
    }
}
