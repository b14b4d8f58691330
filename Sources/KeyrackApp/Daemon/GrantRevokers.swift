import KeyrackCore
import KeyrackDaemon
import KeyrackOpenBao
import SecretBytes

/// What the daemon's revoker does with a grant that carries a revocation: an OpenBao lease
/// token is revoked at its server, a GitHub App installation token at GitHub.
public enum GrantRevokers {
    /// Ends a minted credential when its grant ends (relock, expiry, replacement, stop). The
    /// daemon module knows grants, not vaults: it hands this the note the unlock side attached
    /// (GitHub App installation tokens, OpenBao lease tokens) and the value, and this process,
    /// which links the vault code and the HTTP client, does the rest, within the 5 s RELOCK waits.
    public static let live: GrantRevoker = { revocation in
        if let lease = OpenBaoLease.Note(parsing: revocation.note) {
            // An OpenBao dynamic secret: its lease token (the grant's revocation secret) revokes itself, and its leases.
            var token = revocation.withSecret { $0.map { Array($0) } ?? [] }
            defer { zeroize(&token) }
            guard !token.isEmpty else { return "the grant carries no lease token" }
            return OpenBaoFetch.revokeLeaseToken(note: lease, token: token)
        }
        var token = revocation.withValue { Array($0) }
        defer { zeroize(&token) }
        return GitHubAppToken.revoke(note: revocation.note, token: token) { method, url, headers in
            try HTTPSPost.send(url, method: method, headers: headers, body: [], timeoutSeconds: 4).status
        }
    }
}
