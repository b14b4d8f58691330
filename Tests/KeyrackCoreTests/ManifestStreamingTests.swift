import XCTest
@testable import KeyrackCore
import KeyrackYAML
import KeyrackNames

/// `HostManifest.decode` reads `keys:` and `secrets:` from libyaml's events (KeyEntryReader),
/// not from a tree: it must accept what the tree decoder accepted, as the same manifest, and
/// refuse what it refused, with the same line and words. Each manifest here is a valid one with
/// one line damaged (deleted, doubled, its value replaced, an unknown field added after it), and
/// both decoders must agree on every one (TreeManifestReference is the tree decoder as it was).
///
/// One difference is by design: the tree decoder read the whole document before it looked at a
/// field, so damage to the YAML itself (a duplicate key, broken syntax, an alias) anywhere in
/// the file was named before a field's. The streaming decoder names the first damage in the
/// file's order. Where one damaged line is both (a doubled `owner:` is a duplicate key, and the
/// first `owner:` is then empty), the streaming decoder refuses too, naming a line no later.
final class ManifestStreamingTests: XCTestCase {
    private func base() throws -> String { try ManifestDamage.base() }

    /// What a decoder makes of `text`: the manifest, or its refusal as it is shown.
    private enum Outcome: Equatable {
        case accepted(HostManifest)
        case refused(String)
    }

    private func outcome(_ decode: ([UInt8]) throws -> HostManifest, _ text: String) -> Outcome {
        do { return .accepted(try decode(Array(text.utf8))) } catch { return .refused("\(error)") }
    }

    private func damaged(_ text: String) -> [(what: String, text: String)] { ManifestDamage.damaged(text) }

    /// The line of a refusal of the YAML itself (what the tree reader found before any field), nil for others.
    private func yamlLevelLine(_ refusal: String) -> Int? {
        let yamlLevel = ["not valid YAML", "duplicate key", "YAML aliases", "YAML anchors", "unsupported YAML tag", "nesting deeper",
                         "mapping keys must be", "the file holds more than one"]
        return yamlLevel.contains { refusal.contains(": \($0)") } ? line(refusal) : nil
    }

    private func line(_ refusal: String) -> Int {
        Int(refusal.dropFirst("line ".count).prefix { $0.isNumber }) ?? 0
    }

    func testTheStreamingDecoderAgreesWithTheTreeDecoderOnEveryDamagedLine() throws {
        let text = try base()
        XCTAssertEqual(outcome({ try HostManifest.decode(yaml: $0) }, text), outcome(TreeManifestReference.decode, text))
        guard case .accepted = outcome({ try HostManifest.decode(yaml: $0) }, text) else { return XCTFail("the base manifest must load") }
        var refused = 0
        for (what, damaged) in damaged(text) {
            let streamed = outcome({ try HostManifest.decode(yaml: $0) }, damaged), tree = outcome(TreeManifestReference.decode, damaged)
            if case .refused(let treeRefusal) = tree, let treeLine = yamlLevelLine(treeRefusal) {
                guard case .refused(let streamRefusal) = streamed else { XCTFail("\(what): accepted, the tree refused: \(treeRefusal)"); continue }
                XCTAssertLessThanOrEqual(line(streamRefusal), treeLine, "\(what): \(streamRefusal) / \(treeRefusal)")
            } else {
                XCTAssertEqual(streamed, tree, what)
            }
            if case .refused = tree { refused += 1 }
        }
        XCTAssertGreaterThan(refused, 300, "the damage must reach the refusals")
    }
}
