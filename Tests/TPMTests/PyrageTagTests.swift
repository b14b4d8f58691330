import AgeFormat
import Foundation
import TestSupport
import XCTest
@testable import AgeTPM
@testable import TPM

/// pyrage 1.4 (the Rust age crate, in the venv) writes p256tag natively: its file to a TPM
/// owner's `age1tag1…` recipient opens with the TPM identity and one ECDH on a real swtpm.
/// (Moved in-process from CLITests/TPMOwnerTests.testPlainAgeAndPyrageEncryptToTheTPMRecipient.)
final class PyrageTagTests: XCTestCase {
    func testPyrageEncryptsToTheTagRecipientAndTheTPMOpensIt() throws {
        let tpm = try SoftwareTPM()
        defer { tpm.stop() }
        let dir = try TempDirectory("pyrage-tag")
        defer { dir.remove() }
        let client = TPMClient(tcti: tpm.tcti)
        let stub = TPMStub(key: try client.createKey(pin: nil))
        let note = "note-" + randomBytes(8).map { String(format: "%02x", $0) }.joined()
        let python = ProcessInfo.processInfo.environment["KEYRACK_VENV"].map { $0 + "/bin/python3" } ?? "python3"
        let script = try dir.write("enc.py", Array("""
        import pyrage, sys
        from pyrage import tag
        open(sys.argv[3], 'wb').write(pyrage.encrypt(sys.argv[2].encode(), [tag.Recipient.from_str(sys.argv[1])]))
        """.utf8))
        let py = try Run.process(python, [script.path, stub.recipient.string, note, dir.file("rust.age").path])
        XCTAssertEqual(py.status, 0, py.description)
        let sealed = try dir.read("rust.age")
        XCTAssertTrue(String(decoding: sealed.prefix(200), as: UTF8.self).contains("\n-> p256tag "), "pyrage wrote no p256tag stanza")
        let identity = TPMIdentity(stub: stub, client: client)
        XCTAssertEqual(try Age.decrypt(sealed, with: [identity]), Array(note.utf8))
        XCTAssertEqual(identity.tpmOperations, 1)
    }
}
