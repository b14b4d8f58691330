@testable import AgeFormat
import Foundation
import XCTest

/// The fuzz seeds in Fuzz/Corpus (scripts/fuzz) are only worth their bytes while they are what
/// they claim: valid files that take the fuzzer deep. These tests pin that, so a format change
/// that silently turns every seed into an early rejection fails here instead of blinding the
/// fuzzer. Crash inputs the fuzzer finds go to Fuzz/Regressions and are replayed below.
final class FuzzCorpusTests: XCTestCase {
    static let fuzz = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func files(_ folder: String) throws -> [URL] {
        let dir = fuzz.appendingPathComponent(folder)
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

    static func decodeArmor(_ bytes: [UInt8]) throws -> [UInt8] {
        let reader = ArmorReader(source: PeekableSource(BytesSource(bytes)))
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 700)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if n == 0 { return out }
            out += buffer[..<n]
        }
    }

    func testStreamSeedsDecryptWithTheFuzzingIdentity() throws {
        let identityFile = Self.fuzz.appendingPathComponent("Corpus/fuzz-age-stream.identity")
        let identities = try AgeKeys.parseIdentities(fileContents: String(contentsOf: identityFile, encoding: .utf8))
        let seeds = try Self.files("Corpus/fuzz-age-stream")
        XCTAssertGreaterThanOrEqual(seeds.count, 5)
        for seed in seeds {
            // x25519-<n>.age holds n bytes of "k"; the others hold 100.
            let name = seed.deletingPathExtension().lastPathComponent
            let length = name.hasPrefix("x25519-") ? Int(name.dropFirst("x25519-".count))! : 100
            let plaintext = try Age.decrypt(Self.bytes(seed), with: identities)
            XCTAssertEqual(plaintext, [UInt8](repeating: UInt8(ascii: "k"), count: length), seed.lastPathComponent)
        }
    }

    func testHeaderSeedsParse() throws {
        let seeds = try Self.files("Corpus/fuzz-age-header")
        XCTAssertGreaterThanOrEqual(seeds.count, 5)
        for seed in seeds {
            let bytes = try Self.bytes(seed)
            let (header, offset) = try Header.parse(bytes)
            XCTAssertFalse(header.stanzas.isEmpty, seed.lastPathComponent)
            XCTAssertEqual(try Header.encodeWithoutMAC(header.stanzas), header.macInput, seed.lastPathComponent)
            XCTAssertLessThanOrEqual(offset, bytes.count, seed.lastPathComponent)
        }
    }

    func testArmorSeedsDecodeToAgeFiles() throws {
        let seeds = try Self.files("Corpus/fuzz-age-armor").filter { $0.lastPathComponent.hasPrefix("armored-") }
        XCTAssertGreaterThanOrEqual(seeds.count, 5)
        for seed in seeds {
            let decoded = try Self.decodeArmor(Self.bytes(seed))
            XCTAssertNoThrow(try Header.parse(decoded), seed.lastPathComponent)
        }
    }
    /// Crash inputs found by the fuzzer, and hand-made hostile files (`hostile-*`): each must be
    /// refused with an `AgeError` through the same entry point its fuzz target uses, never crash.
    func testRegressionInputsAreRejectedWithAnError() throws {
        let identityFile = Self.fuzz.appendingPathComponent("Corpus/fuzz-age-stream.identity")
        let identities = try AgeKeys.parseIdentities(fileContents: String(contentsOf: identityFile, encoding: .utf8))
        let entryPoints: [(target: String, run: ([UInt8]) throws -> Void)] = [
            ("fuzz-age-header", { _ = try Header.parse($0) }),
            ("fuzz-age-armor", { _ = try Self.decodeArmor($0) }),
            ("fuzz-age-stream", { _ = try Age.decrypt($0, with: identities) }),
        ]
        var replayed = 0
        for (target, run) in entryPoints {
            for input in try Self.files("Regressions/\(target)") {
                replayed += 1
                XCTAssertThrowsError(try run(Self.bytes(input)), "\(target)/\(input.lastPathComponent)") { error in
                    XCTAssertTrue(error is AgeError, "\(target)/\(input.lastPathComponent): \(type(of: error)) is not an AgeError")
                }
            }
        }
        XCTAssertGreaterThanOrEqual(replayed, 8)
    }
}
