import XCTest
@testable import KeyrackYAML

/// The subset reader's byte classes are bit masks written as literals; they must be exactly the
/// sets its documentation names, or it would take a byte libyaml reads otherwise.
final class YAMLSubsetScannerTests: XCTestCase {
    func testTheWordMaskIsExactlyLettersDigitsAndTheSevenPunctuationBytes() {
        let word = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-@+=".utf8)
        for b in 0...255 {
            XCTAssertEqual(YAMLSubsetScanner.isWord(UInt8(b)), word.contains(UInt8(b)), "byte \(b)")
        }
    }
}
