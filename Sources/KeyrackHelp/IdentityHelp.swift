// `identity`'s teaching text (see Help.swift).
extension Help {
    /// `keyrack identity --help`'s discussion.
    public static let identity = """
        The identity names the owner and holds no secret: put it in an identity file for \
        `age -d -i FILE`, in SOPS_AGE_KEY_FILE, or wherever an age client takes identities. \
        The client then runs age-plugin-keyrack (installed next to keyrack), which asks the \
        owner's daemon to unwrap; start that with `keyrack unlock --identity-agent`. \
        --recipient prints the owner's recipients instead (primary first), to encrypt to.
        """
}
