import AgeSSH

// An SSH private key file: PEM, the openssh-key-v1 container, bcrypt_pbkdf + aes256-ctr/gcm for
// passphrase-protected keys, PKCS#1 RSA. The encrypted seeds use this passphrase and 1-2 bcrypt
// rounds, so mutations get past the KDF quickly (a hostile round count is capped by the parser).

private let seedPassphrase = Array("fuzz-only-passphrase".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSHPrivateKey(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = SSHKeys.isPrivateKey(bytes)
    _ = try? SSHKeys.identity(fromPrivateKey: bytes, passphrase: { seedPassphrase })
    return 0
}
