import XCTest

/// A library's words name none of keyrack's commands or options (`keyrack unlock`, `--for`):
/// the CLI words its typed remedies (issue 26).
func assertNamesNoCommandOrFlag(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertNil(text.range(of: #"keyrack (init|set|set-default|get|del|unlock|relock|exec|source|recipient|yubikey|daemon|doctor|migrate|audit|identity)\b|(^|[ (`])--[a-z]"#, options: .regularExpression), "names a command or option: \(text)", file: file, line: line)
}
