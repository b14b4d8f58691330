import KeyrackCore
import KeyrackNames

/// A manifest of scripts/bench's shape: `count` os.secure keys `bench.test.KEY_nnnnn`, each with
/// its value `value-nnnnn-0123456789abcdef01234567`.
func benchShapeManifest(owner: String, keys count: Int) throws -> HostManifest {
    let record = OwnerRecord(name: try OwnerName(owner), via: .age, pubkey: "age1w90uq7fqyw3sa4vyzqgwps5ga6h28874sheew2unxd8try846qdqtmqhxt")
    var manifest = HostManifest(owner: record)
    for i in 1...count {
        let slug = try Slug(validating: String(format: "bench.test.KEY_%05d", i))
        manifest.keys[slug] = KeyEntry(slug: slug, vault: .osSecure, exid: nil, mech: .permanentViaReplica, maxDuration: nil,
                                       createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z")
        manifest.secrets[slug] = Array(String(format: "value-%05d-0123456789abcdef01234567", i).utf8)
    }
    return manifest
}
