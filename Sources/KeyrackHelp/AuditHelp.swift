// The `audit` commands' teaching text (see Help.swift).
extension Help {
    /// `keyrack audit --help`'s discussion.
    public static let audit = """
        The owner's daemon appends one JSON line per event to $KEYRACK_HOME/audit/OWNER.jsonl: \
        unlock, get (each key, granted or why not), relock, expiry, denials, identity-agent \
        unwraps, sandbox starts, stop, with the requester as the kernel knows it (uid, pid, \
        executable, argv[0], parent, cgroup, sandbox, git root). Never a value or a PIN. Each \
        line carries the SHA-256 of the one before; checkpoints sign the chain. See docs/audit.md.
        """

    /// `keyrack audit anchor --help`'s discussion.
    public static let auditAnchor = """
        The slot holds a P-256 key (keyrack yubikey setup --slot 9a). At each unlock the card signs \
        the log's head and the daemon records it as a card-checkpoint; `audit verify --manifest` \
        requires them to be made by this key. The slot's PIN and touch policies apply; an unlock \
        with no PIN at hand (a robot without --pin-file) skips it with a note. A TPM owner \
        (--via tpm, the default for one) gets a P-256 signing key made in its TPM, with the \
        owner's TPM PIN when its key has one; the TPM signs instead of a card.
        """
}
