import Foundation
import TestSupport
import XCTest

/// Keeps docs/ true: the CLI reference is regenerated from the built binary's help and must match
/// the committed file, every relative link resolves, and every test the security model cites as
/// proof exists in Tests/.
final class DocsTests: XCTestCase {
    private var docs: URL { Run.packageRoot.appendingPathComponent("docs") }

    func testCLIReferenceIsUpToDateWithTheCommandsHelp() throws {
        let dir = try TempDirectory("keyrack-docs")
        defer { dir.remove() }
        let fresh = dir.file("cli.md")
        let r = try Run.process(Run.packageRoot.appendingPathComponent("scripts/gen-cli-docs").path,
                                ["--bin", Run.keyrackBinary, "-o", fresh.path])
        XCTAssertEqual(r.status, 0, "\(r)")
        let generated = try String(contentsOf: fresh, encoding: .utf8)
        let committed = try String(contentsOf: docs.appendingPathComponent("cli.md"), encoding: .utf8)
        // The generator really walked the tree: nested and leaf commands are there, hidden ones not.
        for heading in ["## keyrack\n", "## keyrack unlock\n", "## keyrack yubikey change-management-key\n", "## keyrack daemon run\n"] {
            XCTAssertTrue(generated.contains(heading), "gen-cli-docs output lacks \(heading)")
        }
        XCTAssertFalse(generated.contains("## keyrack daemon bench"), "hidden commands must not be documented")
        if generated != committed {
            let a = generated.split(separator: "\n", omittingEmptySubsequences: false)
            let b = committed.split(separator: "\n", omittingEmptySubsequences: false)
            let line = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            XCTFail("docs/cli.md is stale (first difference at line \(line + 1): \(line < a.count ? a[line] : "<end>")): run scripts/gen-cli-docs and commit docs/cli.md")
        }
    }

    /// docs/architecture.md's module picture is generated from Package.swift (scripts/gen-architecture);
    /// a new target or arrow without a regenerated picture fails here.
    func testArchitecturePictureMatchesPackageSwift() throws {
        let r = try Run.process(Run.packageRoot.appendingPathComponent("scripts/gen-architecture").path, ["--check"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("matches Package.swift"), "\(r)")
        let doc = try String(contentsOf: docs.appendingPathComponent("architecture.md"), encoding: .utf8)
        for arrow in ["keyrack --> KeyrackClient", "keyrack_cli --> AgeFormat", "keyrack_cli --> PIV", "KeyrackCore --> KeyrackNames"] {
            XCTAssertTrue(doc.contains(arrow), "the picture lacks \(arrow)")
        }
    }

    /// The arrows are the real module edges: every module a target's files import is one of its
    /// declared dependencies, and none re-exports another with `@_exported` (issue 26).
    func testEveryImportIsADeclaredDependency() throws {
        let r = try Run.process(Run.packageRoot.appendingPathComponent("scripts/gen-architecture").path, ["--check"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("every import is a declared dependency"), "\(r)")
        XCTAssertFalse(r.err.contains("hidden from Package.swift"), "\(r)")
    }

    /// docs/architecture.md's "What each layer may import" holds on the whole dependency graph
    /// (the daemon reaches no vault or card, the formats no card, PIV and TPM no manifest or age).
    func testLayerRulesHold() throws {
        let r = try Run.process(Run.packageRoot.appendingPathComponent("scripts/gen-architecture").path, ["--check"])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("the layer rules hold"), "\(r)")
        let doc = try String(contentsOf: docs.appendingPathComponent("architecture.md"), encoding: .utf8)
        XCTAssertTrue(doc.contains("## What each layer may import"), "the rules are stated where the picture is")
    }

    func testEveryRelativeLinkInTheDocsResolves() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
        for name in ["README.md", "architecture.md", "security-model.md", "cli.md", "yubikey.md", "robots.md", "formats.md"] {
            XCTAssertTrue(files.contains(name), "docs/\(name) is missing")
        }
        let link = try NSRegularExpression(pattern: #"\]\(([^)#\s]+)(#[^)\s]*)?\)"#)
        var checked = 0
        for name in files + ["../README.md"] {
            let url = docs.appendingPathComponent(name).standardizedFileURL
            let text = try String(contentsOf: url, encoding: .utf8)
            for m in link.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let target = String(text[Range(m.range(at: 1), in: text)!])
                if target.contains("://") || target.hasPrefix("mailto:") { continue }
                let resolved = url.deletingLastPathComponent().appendingPathComponent(target).standardizedFileURL
                XCTAssertTrue(FileManager.default.fileExists(atPath: resolved.path), "\(name) links to \(target), which does not exist")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 20, "the docs should link to each other and to the code")
    }

    /// The security model names, for each threat, the test that proves the mitigation. A renamed or
    /// deleted test would leave the claim unproven, so every cited `File.swift` / `testName` must exist.
    func testEveryTestTheSecurityModelCitesExists() throws {
        let text = try String(contentsOf: docs.appendingPathComponent("security-model.md"), encoding: .utf8)
        let testsRoot = Run.packageRoot.appendingPathComponent("Tests")
        var sources: [String: String] = [:]
        let walker = FileManager.default.enumerator(at: testsRoot, includingPropertiesForKeys: nil)!
        for case let url as URL in walker where url.pathExtension == "swift" {
            sources[url.path.replacingOccurrences(of: Run.packageRoot.path + "/", with: "")] = try String(contentsOf: url, encoding: .utf8)
        }
        // Per line (a table row or a bullet): each `testName` must be a test in one of the line's files.
        let fileRef = try NSRegularExpression(pattern: #"Tests/[A-Za-z]+/[A-Za-z/]+\.swift"#)
        let testRef = try NSRegularExpression(pattern: #"\btest[A-Z][A-Za-z0-9]*"#)
        var cited = 0
        for line in text.split(separator: "\n").map(String.init) {
            let range = NSRange(line.startIndex..., in: line)
            let files = fileRef.matches(in: line, range: range).map { String(line[Range($0.range, in: line)!]) }
            for file in files where sources[file] == nil { XCTFail("security-model.md cites \(file), which does not exist") }
            for m in testRef.matches(in: line, range: range) {
                let name = String(line[Range(m.range, in: line)!])
                XCTAssertTrue(files.contains { sources[$0]?.contains("func \(name)(") == true },
                              "security-model.md cites \(name), which is not a test in \(files.isEmpty ? "any file named on its line" : files.joined(separator: ", "))")
                cited += 1
            }
        }
        XCTAssertGreaterThanOrEqual(cited, 12, "security-model.md should cite a test for each threat and hygiene rule")
    }

    /// Issue 24: "one owner can never read another's keys" held only across Unix users. No doc
    /// and no help text says it unconditionally, and the README and `keyrack --help` say what
    /// holds for owners that share a Unix user (text compared with line breaks folded).
    func testIsolationIsNeverPromisedWithoutItsCondition() throws {
        func folded(_ text: String) -> String { text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ") }
        let help = try Run.keyrack(["--help"])
        XCTAssertEqual(help.status, 0, "\(help)")
        var texts = ["keyrack --help": folded(help.out), "README.md": folded(try String(contentsOf: Run.packageRoot.appendingPathComponent("README.md"), encoding: .utf8))]
        for name in try FileManager.default.contentsOfDirectory(atPath: docs.path) where name.hasSuffix(".md") {
            texts["docs/" + name] = folded(try String(contentsOf: docs.appendingPathComponent(name), encoding: .utf8))
        }
        for (name, text) in texts {
            XCTAssertFalse(text.contains("never read another's keys") || text.contains("never read another owner's keys"),
                           "\(name) promises isolation without saying it holds only across Unix users")
        }
        for name in ["keyrack --help", "README.md", "docs/robots.md", "docs/cli.md"] {
            XCTAssertTrue(texts[name]?.contains("share a Unix user are isolated only inside `keyrack exec --sandbox`") == true,
                          "\(name) does not say what holds for owners that share a Unix user")
        }
    }
}
