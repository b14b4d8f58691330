import KeyrackOutput
import XCTest

/// `exec --mask`'s masker, fed the way a pipe delivers: every occurrence of a value concealed
/// however the stream is cut into reads, nothing else delayed past the read that decides it,
/// each line of a multi-line value concealed alone (but not a line too short to be a secret).
final class OutputMaskerTests: XCTestCase {
    private let c = "<concealed by keyrack>"

    /// Feeds `text` cut at `cuts` (offsets) and returns all that came out, and what came out
    /// after each read.
    private func mask(_ secrets: [String], _ text: String, cuts: [Int]) -> (all: String, perRead: [String]) {
        var masker = OutputMasker(secrets: secrets.map { Array($0.utf8) })
        let bytes = Array(text.utf8)
        var out: [UInt8] = [], perRead: [String] = []
        var start = 0
        for cut in (cuts + [bytes.count]).map({ min($0, bytes.count) }) where cut >= start {
            let piece = masker.feed(bytes[start..<cut])
            out += piece
            perRead.append(String(decoding: piece, as: UTF8.self))
            start = cut
        }
        out += masker.finish()
        masker.wipe()
        return (String(decoding: out, as: UTF8.self), perRead)
    }

    func testAValueIsConcealedWhereverTheReadsAreCut() {
        let secret = "api-0123456789", text = "before api-0123456789 and api-0123456789|after\n"
        let expected = "before \(c) and \(c)|after\n"
        for cut in 0...text.utf8.count {
            XCTAssertEqual(mask([secret], text, cuts: [cut]).all, expected, "cut at \(cut)")
        }
        for a in stride(from: 0, to: text.utf8.count, by: 3) {
            XCTAssertEqual(mask([secret], text, cuts: [a, a + 5, a + 9]).all, expected, "cuts at \(a)")
        }
    }

    /// The first half of a value is held back until the read that completes it; what cannot
    /// begin a secret is passed on at once (a prompt still shows).
    func testOnlyWhatCouldStillBecomeASecretIsHeldBack() {
        let secret = "api-0123456789"
        let run = mask([secret], "before api-01234" + "56789 after\n", cuts: [16])
        XCTAssertEqual(run.perRead.first, "before ", "the first half is held back, not printed")
        XCTAssertEqual(run.all, "before \(c) after\n")
        XCTAssertEqual(mask([secret], "Password: ", cuts: []).perRead, ["Password: "])
    }

    func testEachLineOfAMultiLineValueIsConcealedButNotAShortOne() {
        let first = "MIIEfirstline0123", second = "kq9Xsecondline456"
        let pem = "-----BEGIN TEST KEY-----\n\(first)\r\n\(second)\n}\n-----END TEST KEY-----"
        XCTAssertEqual(mask([pem], "    \(second)\n", cuts: []).all, "    \(c)\n")
        XCTAssertEqual(mask([pem], "\(first)\r\n", cuts: [3]).all, "\(c)\r\n")
        XCTAssertEqual(mask([pem], "whole:\(pem)\n", cuts: [10, 40]).all, "whole:\(c)\n", "the value whole is one concealment")
        XCTAssertEqual(mask([pem], "if x {\n}\n", cuts: []).all, "if x {\n}\n", "a lone } is no secret")
        XCTAssertEqual(OutputMasker.shortestLine, 4)
    }

    /// Longest first: a value that contains another is concealed whole, not as the shorter one
    /// plus the rest in the clear.
    func testTheLongestMatchingValueWins() {
        XCTAssertEqual(mask(["abcd", "abcdefgh"], "xabcdefghx abcdx", cuts: [5]).all, "x\(c)x \(c)x")
        XCTAssertEqual(mask(["", "abcd"], "abcd", cuts: []).all, c, "an empty value conceals nothing")
    }
}
