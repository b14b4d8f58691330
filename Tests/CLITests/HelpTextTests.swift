import Foundation
import TestSupport
import XCTest

/// `--help` of every command teaches: no placeholder ArgumentParser fills in when a type gives it
/// nothing to say (empty `- ` value lines, a raw enum code as a default, `<value>`), every option
/// explained, and the recipient kinds keyrack accepts named where it accepts them.
final class HelpTextTests: XCTestCase {
    /// Every command path with its dump-help node, hidden ones included (they have --help too).
    private func commands() throws -> [([String], [String: Any])] {
        let dump = try Run.keyrack(["--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0, "\(dump)")
        let root = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(dump.stdout)) as? [String: Any])?["command"] as? [String: Any])
        var out: [([String], [String: Any])] = []
        func walk(_ node: [String: Any], _ path: [String]) {
            out.append((path, node))
            for sub in node["subcommands"] as? [[String: Any]] ?? [] where sub["commandName"] as? String != "help" {
                walk(sub, path + [sub["commandName"] as! String])
            }
        }
        walk(root, [])
        return out
    }

    private func help(_ path: [String]) throws -> String {
        let r = try Run.keyrack(path + ["--help"], environment: ["COLUMNS": "100"])
        XCTAssertEqual(r.status, 0, "keyrack \(path.joined(separator: " ")) --help\n\(r)")
        return r.out
    }

    func testNoCommandsHelpHasPlaceholders() throws {
        let all = try commands()
        XCTAssertGreaterThan(all.count, 25, "the walk must reach every command")
        let emptyValueLine = try NSRegularExpression(pattern: #"^ {4,}\S+ +- *$"#, options: .anchorsMatchLines)
        for (path, node) in all {
            let name = (["keyrack"] + path).joined(separator: " ")
            let text = try help(path)
            let range = NSRange(text.startIndex..., in: text)
            XCTAssertNil(emptyValueLine.firstMatch(in: text, range: range), "\(name) --help lists a value without a description:\n\(text)")
            XCTAssertFalse(text.contains("<value>"), "\(name) --help has an unnamed <value>:\n\(text)")
            XCTAssertFalse((node["abstract"] as? String ?? "").isEmpty, "\(name) has no abstract")
            for argument in node["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false {
                let label = (argument["preferredName"] as? [String: Any])?["name"] as? String ?? argument["valueName"] as? String ?? "?"
                let abstract = argument["abstract"] as? String ?? ""
                XCTAssertFalse(abstract.isEmpty, "\(name): \(label) has no help text")
                guard let defaultValue = argument["defaultValue"] as? String else { continue }
                // ArgumentParser prints the default itself: saying it in the text too reads twice.
                XCTAssertFalse(abstract.lowercased().contains("default"), "\(name): \(label) names its default twice: \(abstract)")
                if let values = argument["allValues"] as? [String], !values.isEmpty {
                    XCTAssertTrue(values.contains(defaultValue), "\(name): \(label) shows (default: \(defaultValue)), not one of \(values)")
                    let described = argument["allValueDescriptions"] as? [String: String] ?? [:]
                    for v in values { XCTAssertFalse((described[v] ?? "").isEmpty, "\(name): \(label) value \(v) has no description") }
                }
            }
        }
    }

    func testYubiKeySetupShowsPolicyNamesAndWhatEachMeans() throws {
        let text = try help(["yubikey", "setup"])
        XCTAssertTrue(text.contains("(default: once)"), text)
        XCTAssertTrue(text.contains("(default: always)"), text)
        XCTAssertFalse(text.contains("(default: 2)"), text)
        for line in ["never             - no PIN, ever", "cached            - one touch covers 15 seconds"] {
            XCTAssertTrue(text.contains(line), "missing \(line):\n\(text)")
        }
    }

    /// Every recipient kind `age encrypt -r` accepts is named in its help.
    func testAgeEncryptHelpNamesEveryRecipientKind() throws {
        let text = try help(["age", "encrypt"])
        for kind in ["age1…", "age1pq1…", "age1yubikey1…", "ssh-ed25519", "ssh-rsa"] {
            XCTAssertTrue(text.contains(kind), "age encrypt --help does not name \(kind):\n\(text)")
        }
    }
}
