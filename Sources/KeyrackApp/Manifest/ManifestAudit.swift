import KeyrackClient
import KeyrackDaemon

/// The records of `set` and `del`, which change the manifest without the daemon. Recorded after
/// the change succeeded. While the owner's daemon runs it holds the log (its flock: its records
/// are then one write(2) each) and writes this record itself, naming this process as the kernel
/// knows it; with no daemon, the CLI appends by the same AuditLog the daemon uses, under the
/// flock. When the log cannot be written the change has already happened, so it is not undone:
/// the user is told, on one line.
public enum ManifestAudit {
    public static func record(owner: String, _ event: String, _ fields: AuditFields) {
        guard let home = AuditLog.homeFromEnvironment() else { return }
        do {
            // The daemon rotates the file; the CLI follows (reopens the path when it moved). A
            // daemon that started meanwhile holds the lock: give up after a bounded wait.
            let log = try AuditLog(home: home, owner: owner, followsRotation: true, lockWaitMilliseconds: 3000)
            if !log.append(event, fields, requester: Requester.current().fields) {
                Terminal.printError("warning: the access log \(log.path) could not be written: this \(event) is not recorded; check the disk")
            }
        } catch {
            Terminal.printError("warning: this \(event) is not in the access log: \(error.description)")
        }
    }

    public static func keyChange(owner: String, _ event: String, slug: String, vault: String? = nil, effect: String? = nil) {
        if recordedByDaemon(owner: owner, event, slug: slug, vault: vault, effect: effect) { return }
        var f = AuditFields()
        f.add("slug", slug)
        f.add("vault", vault)
        f.add("effect", effect)
        record(owner: owner, event, f)
    }

    /// True when the owner's daemon answered (it wrote the record, or said why it could not,
    /// which is then told); false when no daemon runs, or an older one that does not take the
    /// request: the CLI then writes the record itself.
    private static func recordedByDaemon(owner: String, _ event: String, slug: String, vault: String?, effect: String?) -> Bool {
        do {
            _ = try DaemonClient(owner: owner).send(.auditChange(event: event, slug: slug, vault: vault, effect: effect))
            return true
        } catch DaemonError.protocolError(let code, let message) where code != .unknownType && code != .unsupportedVersion {
            Terminal.printError("warning: this \(event) is not in the access log: \(message)")
            return true
        } catch {
            return false
        }
    }
}
