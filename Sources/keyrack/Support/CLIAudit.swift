import KeyrackDaemon
import KeyrackClient

/// The records the CLI itself writes to the owner's access log: `set` and `del` change the
/// manifest without the daemon. Appended after the change succeeded, by the same AuditLog the
/// daemon uses (an flock keeps one chain between them). When the log cannot be written the
/// change has already happened, so it is not undone: the user is told, on one line.
enum CLIAudit {
    static func record(owner: String, _ event: String, _ fields: AuditFields) {
        guard let home = AuditLog.homeFromEnvironment() else { return }
        do {
            // The daemon rotates the file; the CLI follows (reopens the path when it moved).
            let log = try AuditLog(home: home, owner: owner, followsRotation: true)
            if !log.append(event, fields, requester: Requester.current().fields) {
                Terminal.printError("warning: the access log \(log.path) could not be written: this \(event) is not recorded; check the disk")
            }
        } catch {
            Terminal.printError("warning: this \(event) is not in the access log: \(error.description)")
        }
    }

    static func keyChange(owner: String, _ event: String, slug: String, vault: String? = nil, effect: String? = nil) {
        var f = AuditFields()
        f.add("slug", slug)
        f.add("vault", vault)
        f.add("effect", effect)
        record(owner: owner, event, f)
    }
}
