import Foundation
import TestSupport
import XCTest

/// Issue 24 (LOW): hardware-tests/ drives a real card on a real, shared machine. A program's
/// argv is world-readable (/proc/PID/cmdline), so the card's PIN or PUK may reach a program only
/// on stdin: in every script there, `$PIN`/`$PUK` appear only in shell builtins (printf, echo,
/// test) whose output is piped. No test runs real hardware; this reads the scripts.
final class HardwareScriptTests: XCTestCase {
    func testHardwareScriptsPutNoCardSecretInAnyProgramsArgv() throws {
        let dir = Run.packageRoot.appendingPathComponent("hardware-tests")
        let scripts = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix(".md") }
        XCTAssertTrue(scripts.contains("run"), "\(scripts)")
        let secret = try NSRegularExpression(pattern: #"\$\{?(PIN|PUK|NEW_PIN|MGMT|MANAGEMENT_KEY)\b"#)
        let separators = try NSRegularExpression(pattern: #"\|\||&&|\||;|\$\(|`"#)
        let builtins: Set<String> = ["printf", "echo", "[", "[[", "test"]
        var checked = 0
        for name in scripts {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = String(raw)
                if line.trimmingCharacters(in: .whitespaces).hasPrefix("#") { continue }
                let whole = NSRange(line.startIndex..., in: line)
                var cuts = separators.matches(in: line, range: whole).map { $0.range }
                cuts.append(NSRange(location: (line as NSString).length, length: 0))
                var start = 0
                for cut in cuts {
                    let segment = (line as NSString).substring(with: NSRange(location: start, length: cut.location - start))
                    start = cut.location + cut.length
                    guard secret.firstMatch(in: segment, range: NSRange(segment.startIndex..., in: segment)) != nil else { continue }
                    checked += 1
                    let program = segment.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "(" || $0 == "{" })
                        .first { !$0.contains("=") }.map(String.init) ?? ""
                    XCTAssertTrue(builtins.contains(program),
                                  "hardware-tests/\(name):\(number + 1) hands a card secret to `\(program)` in its argv; pipe it on stdin instead: \(line)")
                }
            }
        }
        XCTAssertGreaterThan(checked, 0, "the scripts use the PIN somewhere: the check must see those uses")
    }
}
