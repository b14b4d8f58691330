// `firewall`'s teaching text (see Help.swift).
extension Help {
    /// `keyrack firewall --help`'s discussion.
    public static let firewall = """
        GitHub Actions: env: { SECRETS: ${{ toJSON(secrets) }} } then keyrack firewall --env test --from 'json(env://SECRETS)' \
        --into github.actions: masks each value, appends the granted ones to $GITHUB_ENV, and exits 3 (having exported the \
        others) when a listed secret is blocked (a long-lived token, a name that changes a shell or loader).
        """
}
