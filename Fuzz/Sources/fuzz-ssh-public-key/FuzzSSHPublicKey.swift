import AgeSSH

// One `authorized_keys` line → an ssh-ed25519 / ssh-rsa recipient (wire format, RSA modulus
// and exponent checks, the Ed25519 → X25519 map).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSHPublicKey(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let line = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if (try? SSHKeys.recipient(fromAuthorizedKey: line)) != nil {
        // Whatever parses as a recipient must also give its public key for display.
        _ = try! SSHKeys.publicKey(fromAuthorizedKey: line)
    }
    return 0
}
