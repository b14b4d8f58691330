import Foundation
import KeyrackCore
import TestSupport
import XCTest

/// The manifest fuzz targets' seeds and kept crash inputs (Fuzz/Corpus, Fuzz/Regressions),
/// replayed without sanitizers as the targets run them: each is read or refused, never a trap,
/// and a manifest that is read writes back to the same value.
final class ManifestFuzzInputTests: XCTestCase {
    func testEverySeedAndRegressionIsReadOrRefused() throws {
        let fm = FileManager.default
        var replayed = 0
        for base in ["Fuzz/Corpus", "Fuzz/Regressions"] {
            for target in ["fuzz-manifest-yaml", "fuzz-manifest-subset"] {
                let dir = Run.packageRoot.appendingPathComponent("\(base)/\(target)")
                guard fm.fileExists(atPath: dir.path) else { continue }
                for file in try fm.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil) {
                    replayed += 1
                    guard let manifest = try? HostManifest.decode(yaml: Array(try Data(contentsOf: file))) else { continue }
                    XCTAssertEqual(try HostManifest.decode(yaml: try manifest.encodeYAML()), manifest, file.lastPathComponent)
                }
            }
        }
        XCTAssertGreaterThan(replayed, 5, "the fuzz inputs are not where this test looks")
    }

    /// The smoke run's find: a document that is one explicit key with no bytes (`?`) trapped in
    /// YAMLReader's key copy, which had no buffer yet.
    func testAnEmptyExplicitKeyIsRefusedNotATrap() {
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array("?".utf8)))
        XCTAssertThrowsError(try HostManifest.decode(yaml: Array("? \n: x\n".utf8)))
    }
}
