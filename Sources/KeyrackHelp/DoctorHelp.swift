// `doctor`'s teaching text (see Help.swift).
extension Help {
    /// `keyrack doctor --help`'s discussion.
    public static let doctor = """
        Checks: pcscd reachable; readers and cards seen; the owner's YubiKey present with the \
        recorded key in its slot; factory PIN, PUK or management key still set; modes of \
        KEYRACK_HOME (0700), manifests and os.direct files (0600) and the daemon's runtime \
        directory (0700) and socket (0600); the owner's daemon answering; `op` on PATH when the \
        owner has 1password keys, the AWS CLI v2 when it has aws.params or aws.config keys. Never asks for a PIN or a touch. Exit 0 when all pass, 1 otherwise.
        """
}
