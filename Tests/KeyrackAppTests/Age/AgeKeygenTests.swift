import AgeFormat
import Foundation
@testable import KeyrackApp
import TestSupport
import XCTest

/// `keyrack age keygen`'s use case: age-keygen's file (comments, then the key), a new file of
/// mode 0600 that is never overwritten, and `-y`'s recipients read back from it. That age's
/// own tools read the file the same way is CLITests/AgeInteropTests.testKeyrackKeygenWorksWithAge.
final class AgeKeygenTests: XCTestCase {
    private var dir: TempDirectory!
    override func setUpWithError() throws { dir = try TempDirectory("keyrack-age-keygen") }
    override func tearDown() { dir.remove() }

    func testTheKeyFileIsNewWithMode600AndNeverOverwritten() throws {
        let key = AgeKeygen.generate(postQuantum: false, now: Date(timeIntervalSince1970: 1_800_000_000))
        let lines = key.fileText.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines[0], "# created: 2027-01-15T08:00:00Z")
        XCTAssertEqual(lines[1], "# public key: \(key.publicKey)")
        XCTAssertTrue(lines[2].hasPrefix("AGE-SECRET-KEY-1"))
        XCTAssertTrue(key.publicKey.hasPrefix("age1"))

        let path = dir.file("k.key").path
        try AgeKeygen.write(key, toNewFile: path)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(try dir.read("k.key"), Array(key.fileText.utf8))
        XCTAssertEqual(try AgeKeygen.recipientLines(identityFile: path, terminal: FakeTerminal()), key.publicKey + "\n")

        XCTAssertThrowsError(try AgeKeygen.write(AgeKeygen.generate(postQuantum: false), toNewFile: path)) { error in
            XCTAssertEqual(error as? AgeToolError, .keyFileExists(path: path))
            XCTAssertFalse((error as! AgeToolError).isUsage, "a failure (exit 1), not a usage error")
            XCTAssertTrue("\(error)".contains("already exists"))
        }
        XCTAssertEqual(try dir.read("k.key"), Array(key.fileText.utf8), "the first key is untouched")
    }

    /// An identity file with no key is refused; an identity whose recipient cannot be derived
    /// offline (a card's, a TPM's) is named: for `-y` a failure, for `encrypt -i FILE` a usage error.
    func testAnIdentityWithoutADerivableRecipientIsNamed() throws {
        let stub = "AGE-PLUGIN-YUBIKEY-1QQSRZQQQQGQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
        _ = stub
        let terminal = FakeTerminal()
        let tpmless = try dir.write("empty.txt", Array("# nothing\n".utf8))
        XCTAssertThrowsError(try AgeKeygen.recipientLines(identityFile: tpmless.path, terminal: terminal)) { error in
            XCTAssertTrue("\(error)".contains("identity"), "\(error)")
        }
        XCTAssertThrowsError(try AgeKeyFiles.recipients(of: [PassphrasePromptIdentity(terminal: terminal)], path: nil)) { error in
            XCTAssertEqual(error as? AgeToolError, .underivableRecipient(path: nil))
            XCTAssertFalse((error as! AgeToolError).isUsage)
        }
        XCTAssertThrowsError(try AgeKeyFiles.recipients(of: [PassphrasePromptIdentity(terminal: terminal)], path: "/k")) { error in
            XCTAssertEqual(error as? AgeToolError, .underivableRecipient(path: "/k"))
            XCTAssertTrue((error as! AgeToolError).isUsage)
        }
    }
}
