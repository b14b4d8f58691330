// `exec`'s teaching text: plain, --env-file, --mask, --sandbox, --proxy (see Help.swift).
extension Help {
    /// `keyrack exec --help`'s discussion.
    public static let exec = """
        Example: keyrack exec --for seaturtle --env sudo --key GITHUB_TOKEN -- gh auth status
        Without --key: the keys .agent/keyrack.yml lists for the env, or outside a repository \
        every unlocked key of the env. Fails (exit 3) before running anything if one is not granted.

        An --env-file names the variables itself, one NAME=keyrack://ORG.ENV.KEY (or plain \
        NAME=value) per line, so any key can be passed under any name: keyrack exec --env-file \
        .env.keyrack -- make deploy. With --mask, a granted value the program prints (on \
        stdout or stderr), or any line of a multi-line one, is replaced by <concealed by keyrack>: \
        best-effort, as a value it encodes, transforms or writes to /dev/tty or a file passes in \
        clear. The program still holds the values; not handing them over at all is the keycard \
        proxy's job: exec --proxy, below.

        With --sandbox, the program runs in a bubblewrap sandbox keyrack builds: new user, pid, \
        mount and IPC namespaces and session; the host read-only, the workdir read-write, the \
        home an empty tmpfs (--share binds paths back read-only), /tmp private; KEYRACK_HOME, \
        ~/.ssh, every owner's identity files, $XDG_RUNTIME_DIR, /run/pcscd hidden; only the \
        owner's daemon socket shown. See docs/robots.md.

        With --proxy (keycards, not keys), the program never holds a value: each key reaches it \
        as a placeholder of the same shape (a ghs_ token stays ghs_ and as long), and a proxy \
        keyrack runs for this run only (127.0.0.1, HTTPS_PROXY and friends set, its own CA made \
        in memory and trusted through SSL_CERT_FILE, CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE, \
        NODE_EXTRA_CA_CERTS, GIT_SSL_CAINFO, AWS_CA_BUNDLE) puts the value back only into requests to the hosts \
        the key may be sent to (keyrack set … --send-to api.github.com). Anywhere else the \
        placeholder travels and leaks nothing. Real servers are checked against SSL_CERT_FILE as \
        you had it, or the system's CAs, plus --upstream-cacert. Example: keyrack set --env prod \
        --key GITHUB_TOKEN --vault os.secure --send-to api.github.com, then keyrack exec --env prod \
        --key GITHUB_TOKEN --proxy -- gh api user. Works with --sandbox too. AWS: pass AWS_ACCESS_KEY_ID, \
        AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; requests the aws CLI signs with the \
        placeholders are checked and re-signed (SigV4) with the real keys.
        """
}
