import Foundation
import KeyrackClient
import KeyrackOutput
import TestSupport
import XCTest

/// The seeds of Fuzz/Corpus/fuzz-env-file and fuzz-inject-template (and any regression kept in
/// Fuzz/Regressions/ for them) replayed without sanitizers: each parses, or is refused with a
/// usage error that names its line, never a crash.
final class FuzzSeedTests: XCTestCase {
    private func inputs(_ target: String) throws -> [URL] {
        let fm = FileManager.default
        return try ["Fuzz/Corpus", "Fuzz/Regressions"].flatMap { base -> [URL] in
            let dir = Run.packageRoot.appendingPathComponent("\(base)/\(target)")
            guard fm.fileExists(atPath: dir.path) else { return [] }
            return try fm.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
        }
    }

    func testEnvFileSeedsParseOrFailByLine() throws {
        let seeds = try inputs("fuzz-env-file")
        XCTAssertGreaterThanOrEqual(seeds.count, 4)
        var parsed = 0
        for seed in seeds {
            let bytes = [UInt8](try Data(contentsOf: seed))
            do {
                _ = try EnvFile(path: seed.lastPathComponent, bytes: bytes)
                parsed += 1
            } catch let error as UsageError {
                XCTAssertTrue(error.message.hasPrefix("\(seed.lastPathComponent) line "), error.message)
            }
        }
        XCTAssertGreaterThanOrEqual(parsed, 3, "the well-formed seeds parse")
    }

    func testTemplateSeedsParseOrFailByLine() throws {
        let seeds = try inputs("fuzz-inject-template")
        XCTAssertGreaterThanOrEqual(seeds.count, 4)
        for seed in seeds {
            let bytes = [UInt8](try Data(contentsOf: seed))
            do {
                let template = try InjectTemplate(bytes, path: seed.lastPathComponent)
                if template.references.isEmpty { XCTAssertEqual(template.render([:]), bytes, seed.lastPathComponent) }
            } catch let error as UsageError {
                XCTAssertTrue(error.message.hasPrefix("\(seed.lastPathComponent) line "), error.message)
            }
        }
    }
}
