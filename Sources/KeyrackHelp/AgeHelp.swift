// The `age` commands' teaching text (see Help.swift).
extension Help {
    /// `keyrack age encrypt --help`'s discussion.
    public static let ageEncrypt = """
        Reads INPUT (or stdin) and writes the age file to -o (or stdout). Recipients: age1… \
        (X25519), age1pq1… (post-quantum), age1yubikey1… (a YubiKey PIV slot, as \
        age-plugin-yubikey; no card needed to encrypt), ssh-ed25519/ssh-rsa public keys. With -o, \
        a failed run removes the partial output file.
        """

    /// `keyrack age decrypt --help`'s discussion.
    public static let ageDecrypt = """
        Reads INPUT (or stdin) and writes the plaintext to -o (or stdout). Without -i, a \
        passphrase-encrypted file asks for its passphrase on the terminal. Plaintext is written \
        only after each 64 KiB chunk authenticates; when a later chunk fails, the command exits \
        non-zero and, with -o, removes the output file.
        """

    /// `keyrack age keygen --help`'s discussion.
    public static let ageKeygen = """
        Writes the identity file (mode 0600) to -o, never overwriting an existing file, or to \
        stdout, and prints the public key on stderr.
        """
}
