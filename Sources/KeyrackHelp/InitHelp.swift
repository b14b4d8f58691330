// `init`'s teaching text (see Help.swift).
extension Help {
    /// `keyrack init --help`'s discussion (`init` is Swift's keyword, hence the name).
    public static let initCommand = """
        --via ssh (the default) uses --pubkey: a .pub file, or the key itself ("ssh-ed25519 AAAA…"); \
        by default ~/.ssh/id_ed25519.pub, else id_rsa.pub (ECDSA keys cannot be age recipients). \
        The private key is the same path without .pub. --via age uses --identity FILE, or a \
        recipient (age1…, or a file holding one) from --pubkey, or creates \
        KEYRACK_HOME/identities/OWNER.txt (0600). --via yubikey uses a PIV slot. --via tpm makes a \
        P-256 key in this machine's TPM 2.0 (/dev/tpmrm0, or the TCTI in KEYRACK_TPM_TCTI), sealed into \
        KEYRACK_HOME/identities/OWNER.tpm.txt (0600); its recipient is age1tag1….
        """
}
