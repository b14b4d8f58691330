import Foundation
import KeyrackYAML
import KeyrackNames

/// `direct/<owner>.yml` (0600): os.direct values, plaintext by contract (non-secret config).
/// `version: 1` and `values:` slug → value; written atomically like the manifest.
struct DirectStore {
    let url: URL

    func load() throws -> [Slug: [UInt8]] {
        guard let bytes = try FileSystem.read(url) else { return [:] }
        do {
            let root = try YAMLParser.parse(bytes)
            var top = try YAMLFields(root, path: "direct file")
            let version = try top.int("version")
            guard version <= 1 else { throw YAMLError.newerVersion("direct file", version: version, reads: 1) }
            var values: [Slug: [UInt8]] = [:]
            if let node = top.node("values"), case .mapping(let pairs, _) = node {
                for pair in pairs {
                    let slug = try HostManifest.field(pair.keyLine) { try Slug(validating: pair.key) }
                    guard case .scalar(let scalar, _) = pair.value else { throw YAMLError(line: pair.value.line, "values.\(pair.key) must be a string") }
                    if scalar.tag == YAMLParser.binaryTag {
                        guard let bytes = HostManifest.binaryValue(scalar.text) else {
                            throw YAMLError(line: pair.keyLine, "values.\(pair.key) is not valid base64")
                        }
                        values[slug] = bytes
                    } else {
                        values[slug] = scalar.bytes
                    }
                }
            }
            try top.finish()
            return values
        } catch let error as YAMLError {
            throw KeyrackError.damaged("\(url.path) is damaged (\(error)): it was left unchanged; fix or remove it")
        }
    }

    func save(_ values: [Slug: [UInt8]]) throws {
        let pairs = values.sorted { $0.key < $1.key }.map { ($0.key.description, HostManifest.secretNode($0.value)) }
        let yaml = try YAMLEmitter.emit(.map([("version", .int(1)), ("values", .map(pairs))]))
        try FileSystem.writeAtomically(yaml, to: url, mode: 0o600)
    }
}
