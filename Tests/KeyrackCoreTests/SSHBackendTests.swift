import AgeFormat
import Foundation
import XCTest
@testable import KeyrackCore
import TestSupport
import KeyrackNames

/// The ssh backend with real ssh-keygen keys: ed25519 and rsa, plain and passphrase-protected.
/// The passphrase is asked only when the manifest actually needs that key.
final class SSHBackendTests: XCTestCase {
    var dir: TempDirectory!
    var store: HostManifestStore!
    override func setUpWithError() throws {
        dir = try TempDirectory("keyrack-ssh")
        store = HostManifestStore(home: KeyrackHome(root: dir.file("kr")))
    }
    override func tearDown() { dir.remove() }

    private func keygen(_ name: String, type: String, passphrase: String = "") throws -> URL {
        let key = dir.file(name)
        var args = ["-q", "-t", type, "-N", passphrase, "-C", name, "-f", key.path]
        if type == "rsa" { args += ["-b", "3072"] }
        let r = try Run.process("ssh-keygen", args)
        XCTAssertEqual(r.status, 0, "\(r)")
        return key
    }

    func testEncryptedEd25519KeyAsksPassphraseOnlyWhenNeeded() throws {
        let key = try keygen("robot", type: "ed25519", passphrase: "correct horse")
        let owner = try OwnerName("robot")
        _ = try store.initialise(owner: owner, uid: nil,
                                 request: RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: .ssh(publicKey: key.path + ".pub")))
        var asked: [SecretRequest] = []
        let interaction = Interaction(secret: { request in asked.append(request); return Array("correct horse".utf8) }, notice: { _ in })
        let ids = try store.identities(for: owner, interaction: interaction)
        XCTAssertEqual(asked, [], "building identities must not prompt")
        try store.setKey(owner: owner, try KeySetRequest(slug: try Slug(validating: "@all.sudo.T"), vault: .osSecure, exid: nil, mech: nil, maxDuration: nil, value: [1, 2, 3]), identities: ids)
        XCTAssertEqual(asked, [.passphrase(prompt: "passphrase for ssh key \(key.path): ")], "an ssh key asks for its passphrase, typed as one")
        XCTAssertEqual(try store.load(owner: owner, identities: ids).secrets[try Slug(validating: "@all.sudo.T")], [1, 2, 3])
        XCTAssertEqual(asked.count, 1, "a decrypted key is kept for the process")

        // A backup age identity opens it without any prompt.
        let backup = X25519Identity.generate()
        _ = try store.addRecipient(owner: owner, label: try RecipientLabel("ci"), publicKey: backup.recipient.string, identityPath: nil, identities: ids)
        var asked2: [SecretRequest] = []
        let quiet = Interaction(secret: { asked2.append($0); return [] }, notice: { _ in })
        let sshID = try SSHBackend.identity(privateKeyPath: key.path, interaction: quiet)
        XCTAssertNoThrow(try store.load(owner: owner, identities: [backup, sshID]))
        XCTAssertEqual(asked2, [])

        let wrong = Interaction(secret: { _ in Array("wrong".utf8) }, notice: { _ in })
        XCTAssertThrowsError(try store.load(owner: owner, identities: [try SSHBackend.identity(privateKeyPath: key.path, interaction: wrong)])) { error in
            XCTAssertTrue("\(error)".contains("wrong passphrase"), "\(error)")
        }
    }

    func testRSAKeyAndAgeInterop() throws {
        let key = try keygen("rsa-robot", type: "rsa")
        let owner = try OwnerName("rsa-robot")
        guard case .created(let manifest, let setup) = try store.initialise(owner: owner, uid: nil,
            request: RecipientSetupRequest(owner: owner, home: store.home, userHome: dir.url, spec: .ssh(publicKey: key.path))) else { return XCTFail() }
        XCTAssertTrue(manifest.owner.pubkey.hasPrefix("ssh-rsa "))
        XCTAssertEqual(setup.location.identityPath, key.path)
        let r = try Run.process("age", ["-d", "-i", key.path, store.home.manifest(owner).path])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.out.contains("via: ssh"), r.out)
    }
}
