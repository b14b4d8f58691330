// The `yubikey` commands' teaching text (see Help.swift).
extension Help {
    /// `keyrack yubikey --help`'s discussion.
    public static let yubiKey = """
        Keys live in the twenty retired PIV slots (82–95) and are compatible with \
        age-plugin-yubikey: recipients are age1yubikey1…, identities AGE-PLUGIN-YUBIKEY-1…. \
        PINs are read from the terminal without echo, or from stdin with --pin-stdin; never \
        from the command line. Card problems exit with status 5.
        """

    /// `keyrack yubikey setup --help`'s discussion.
    public static let yubiKeySetup = """
        Verifies the PIN, authenticates with the PIN-protected management key (a factory \
        management key is replaced by a random PIN-protected one, as age-plugin-yubikey and ykman \
        do), generates the key with the chosen policies and stores a self-signed certificate \
        naming them. Prints the identity file (or writes it to -o and prints the recipient). \
        Robots: --pin-policy never --touch-policy never. Humans: once and always/cached. \
        --recipient-type chooses the recipient printed: piv-p256 (age1yubikey1…, the default: \
        released age-plugin-yubikey and age 1.1 handle it) or tag (age1tag1…, which age ≥ 1.3 \
        encrypts to without any plugin). The card unwraps both. \
        With --slot 9a the key is a TLS login key (an OpenBao / Vault `cert` login signs with it on \
        the card) and its certificate is printed as PEM (or written to -o) for the operator's \
        `bao write auth/cert/certs/NAME certificate=@FILE`; see docs/openbao.md.
        """

    /// `keyrack yubikey change-management-key --help`'s discussion.
    public static let yubiKeyChangeManagementKey = """
        The PIN-protected convention (PRINTED object 5FC109 + ADMIN DATA flag) is the one ykman, \
        yubikey-agent and age-plugin-yubikey use, so those tools keep working with the card. The \
        key itself is never shown. With --pin-stdin, stdin holds the PIN.
        """
}
