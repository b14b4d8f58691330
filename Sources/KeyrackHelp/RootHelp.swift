// The root command's teaching text (`keyrack --help`) (see Help.swift).
extension Help {
    /// `keyrack --help`'s discussion.
    public static let keyrack = """
        Every owner (`human` by default, or a robot name given with --for) has its own \
        age-encrypted host manifest, its own recipient (a YubiKey PIV slot, an ssh key or an age \
        identity) and its own daemon. Across Unix users the kernel keeps each owner's keys from \
        the others. Owners that share a Unix user are isolated only inside `keyrack exec \
        --sandbox`; outside it --for selects an owner, it does not authorise one (docs/robots.md).

        Exit codes: 0 ok, 1 other failure, 2 usage error, 3 not granted (locked, absent, \
        expired), 4 denied (wrong owner or uid), 5 card problem (no card, PIN blocked, touch \
        timeout).
        """
}
