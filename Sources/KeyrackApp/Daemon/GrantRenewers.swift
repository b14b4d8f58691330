import KeyrackCore
import KeyrackDaemon
import KeyrackOpenBao
import SecretBytes

/// What the daemon's renewer does with a grant whose lease is renewable (GrantRevokers' twin).
public enum GrantRenewers {
    /// Renews an OpenBao dynamic secret's lease while its grants live, with the lease token the
    /// grants carry (the only token the daemon holds), at the server the note names.
    public static let live: GrantRenewer = { renewal in
        guard let note = OpenBaoLease.Note(parsing: renewal.note), let leaseID = note.leaseID else { return .failed("the grant names no lease to renew") }
        var token = renewal.withSecret { $0.map { Array($0) } ?? [] }
        guard !token.isEmpty else { return .failed("the grant carries no lease token") }
        let locked = LockedBytes(taking: &token)
        do {
            let session = try OpenBaoSession(server: OpenBaoServer(address: note.address, caFile: note.caFile, namespace: note.namespace,
                                                                   timeoutSeconds: 4))
            switch session.renew(lease: leaseID, incrementSeconds: Int(clamping: renewal.incrementSeconds), token: locked) {
            case .renewed(let seconds): return .renewed(seconds: UInt64(seconds))
            case .failed(let why): return .failed(why)
            case .atMaximum(let why): return .atMaximum(why)
            case .gone(let why): return .ended(why)
            }
        } catch {
            return .failed("\(error)")
        }
    }
}
