// The teaching text of `set` and `set-default` (see Help.swift).
extension Help {
    /// `keyrack set --help`'s discussion.
    public static let set = """
        The slug is ORG.ENV.KEY. ORG comes from .agent/keyrack.yml (searched from the current \
        directory up to the git root), else --org, else @all for sudo keys. Vaults: os.secure \
        (value kept encrypted in the manifest), os.direct (plaintext file, 0600, for non-secret \
        config), os.envvar (read from the environment at unlock), os.daemon (held only by the \
        daemon), 1password (--exid VAULT/ITEM, VAULT/ITEM/FIELD or op://VAULT/ITEM/FIELD, checked \
        with `op` when op is installed), openbao (--exid MOUNT/PATH#FIELD of a KV v1/v2 secret in \
        OpenBao or Vault, read at unlock; only the reference is stored, and `del` never touches the \
        remote secret; see docs/openbao.md), aws.params (--exid /SSM/PARAMETER/NAME, read with the AWS \
        CLI v2), aws.config (--exid PROFILE: unlock grants AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY \
        and AWS_SESSION_TOKEN beside the key, until the credentials expire).

        GitHub App: --vault os.secure --mech EPHEMERAL_VIA_GITHUB_APP --app-id N --installation-id N \
        --private-key app.pem (asked on the terminal when absent; the key is checked and stored \
        encrypted, never echoed), or --vault 1password --exid VAULT/ITEM whose field holds \
        {"appId", "installationId", "privateKey"} as JSON. Unlock mints a ghs_ installation token \
        on GITHUB_API_URL (default https://api.github.com), granted until it expires.

        GitHub Actions OIDC (no stored secret, in a job with `permissions: id-token: write`): \
        --vault openbao --mech EPHEMERAL_VIA_GITHUB_OIDC --exid MOUNT/PATH#FIELD, read with the \
        job's ID token (keyrack set-default --openbao-login jwt --openbao-jwt-role ROLE), or \
        --vault aws.config --mech EPHEMERAL_VIA_GITHUB_OIDC --exid PROFILE, the profile's role_arn \
        assumed with it (AssumeRoleWithWebIdentity). Outside Actions the unlock fails, exit 3.

        OpenBao dynamic secrets (database/creds/ROLE…): --vault openbao --mech \
        EPHEMERAL_VIA_OPENBAO_LEASE --exid MOUNT/creds/ROLE#FIELD (e.g. #username and #password: \
        one read, one lease), with keyrack set-default --openbao-lease-role TOKEN_ROLE. Granted for \
        the lease; relock, expiry and the daemon's stop revoke it.
        """

    /// `keyrack set-default --help`'s discussion.
    public static let setDefault = """
        A key's own --openbao-addr / --openbao-cacert win over these; BAO_ADDR / VAULT_ADDR, \
        VAULT_CACERT and VAULT_NAMESPACE fill what neither says. Logins: cert (mutual TLS whose \
        signature the YubiKey makes: no secret on disk at all), approle (role_id and secret_id are \
        os.secure keys of this manifest), token (BAO_TOKEN / VAULT_TOKEN or ~/.vault-token, for \
        a person who ran `bao login`; never revoked by keyrack), jwt (a JWT checked by the jwt auth \
        mount: the GitHub Actions job's ID token, asked for at each unlock for --openbao-jwt-audience, \
        or --openbao-jwt-source card, a short-lived JWT the YubiKey signs). A token keyrack logs in for lives \
        in the unlock process only and is revoked before unlock returns. See docs/openbao.md.
        """
}
