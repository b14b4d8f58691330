// `unlock`'s teaching text (see Help.swift).
extension Help {
    /// `keyrack unlock --help`'s discussion.
    public static let unlock = """
        TTL: --duration, default 30m for sudo and 9h otherwise, capped by each key's maxDuration. \
        sudo keys are unlocked one --key at a time. When the owner's YubiKey is not plugged in (or \
        with --using ssh|age), a backup recipient whose identity is on this machine opens the \
        manifest; the output names the recipient used. \
        --identity-agent (with or without --env) also hands the owner's identities to its daemon \
        for --duration (default 1h), so age clients decrypt through age-plugin-keyrack with the \
        identity `keyrack identity` prints: the YubiKey's PIN is then asked by the age client, once \
        per card session where pcscd restricts access, once per request where it does not. The agent holds at most 9h (a longer --duration is refused), and at \
        most 30m when --env opened a manifest that holds sudo keys (a longer TTL is cut to 30m, \
        with a note); it never opens the owner's own manifest. See docs/age-agent.md.
        """
}
