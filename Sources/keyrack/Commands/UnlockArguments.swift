#if canImport(Glibc)
import Glibc
#endif
import KeyrackApp
import KeyrackClient
import KeyrackDaemon
import KeyrackNames
import KeyrackCore
import KeyrackPresentation

/// What `keyrack unlock` was given, as plain values, and the one way it runs: UnlockCommand
/// fills it from ArgumentParser's parse, UnlockFastPath from its own.
struct UnlockArguments: Equatable {
    var owner = "human"
    var json = false
    var env: String?
    var identityAgent = false
    var key: String?
    var duration: String?
    var using: BackupVia?
    var identityPaths: [String] = []
    var pin: PINInput = .terminal

    func run() throws {
        Hardening.apply()
        let request = UnlockRequest(owner: try OwnerName(owner), env: env, key: key,
                                    durationSeconds: try duration.map { try KeyrackCore.Duration($0).seconds }, using: using?.via,
                                    identityPaths: identityPaths, pin: pin,
                                    identityAgent: identityAgent || env == nil)
        let store = try HostManifestStore.fromEnvironment()
        var file = stat()
        HugePageHeap.prepare(forManifestBytes: stat(store.home.manifest(request.owner).path, &file) == 0 ? Int(file.st_size) : nil)
        // The process exits right after: what the unlock worked with is kept, not freed piece by
        // piece (its values wiped all the same), and so is its answer once rendered.
        var unlock = Unlock(store: store, events: { Terminal.printError(UnlockRendering.line($0)) })
        unlock.leftovers = .keptUntilExit
        let result = try unlock.run(request)
        UnlockRendering.render(result, json: json)
        KeptUntilExit.keep(result)
    }
}
