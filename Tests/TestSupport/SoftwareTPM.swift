import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real software TPM 2.0 for one test: Debian's `swtpm` in socket mode on loopback, with a
/// fresh state directory, so its seeds (and with them its storage root key) are its own — two
/// instances are two machines' TPMs. Started on free ports; ready when its command port accepts
/// a connection (no sleeps); killed and its state removed on `stop()` or deinit.
public final class SoftwareTPM {
    public let port: UInt16
    public let stateDirectory: URL
    private var process: Spawned?
    /// False once `shutDown()` handed the state on to the next instance started on it.
    private var ownsState = true

    /// Its process id while it runs.
    public var pid: pid_t? { process?.pid }

    /// The TCTI string that reaches it (`swtpm:host=127.0.0.1,port=P`), for KEYRACK_TPM_TCTI.
    public var tcti: String { "swtpm:host=127.0.0.1,port=\(port)" }

    /// Starts a new swtpm; `stateDirectory` reuses an existing state (the same TPM, restarted).
    public init(stateDirectory: URL? = nil) throws {
        let dir = stateDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("keyrack-swtpm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        self.stateDirectory = dir
        var lastError = "no free port pair"
        for _ in 0..<20 {
            guard let p = SoftwareTPM.freePortPair() else { continue }
            let log = dir.appendingPathComponent("swtpm.log").path
            let child = try Spawned("/usr/bin/swtpm", ["socket", "--tpm2",
                                                       "--server", "type=tcp,port=\(p),bindaddr=127.0.0.1",
                                                       "--ctrl", "type=tcp,port=\(p + 1),bindaddr=127.0.0.1",
                                                       "--tpmstate", "dir=\(dir.path)",
                                                       "--flags", "not-need-init,startup-clear"], stderrPath: log)
            if SoftwareTPM.waitAccepting(port: p, while: child) {
                port = p
                process = child
                return
            }
            child.terminate()
            child.waitForExit()
            lastError = (try? String(contentsOfFile: log, encoding: .utf8)) ?? "swtpm exited"
        }
        throw NSError(domain: "SoftwareTPM", code: 1, userInfo: [NSLocalizedDescriptionKey: "swtpm did not start: \(lastError)"])
    }

    /// Kills the TPM at once (SIGKILL: a machine losing its TPM mid-command).
    public func kill() {
        guard let process else { return }
        if process.isRunning { Glibc.kill(process.pid, SIGKILL) }
        process.waitForExit()
        self.process = nil
    }

    /// Stops it (SIGTERM: swtpm saves its state) and keeps its state directory, to start the
    /// same TPM again with `SoftwareTPM(stateDirectory:)`.
    public func shutDown() {
        process?.terminate()
        process?.waitForExit()
        process = nil
        ownsState = false
    }

    /// Stops it and removes its state.
    public func stop() {
        if let process {
            process.terminate()
            process.waitForExit()
        }
        process = nil
        if ownsState { try? FileManager.default.removeItem(at: stateDirectory) }
    }

    deinit { stop() }

    /// A port P such that P and P+1 are both free on loopback now.
    private static func freePortPair() -> UInt16? {
        for _ in 0..<50 {
            guard let p = bindable(0), p < 65000, bindable(p + 1) != nil, bindable(p) != nil else { continue }
            return p
        }
        return nil
    }

    /// Binds a TCP socket to 127.0.0.1:`port` (0: any) and closes it; the port bound, or nil.
    private static func bindable(_ port: UInt16) -> UInt16? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = loopback(port)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { return nil }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: bound.sin_port)
    }

    private static func loopback(_ port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    /// True once a connection to `port` succeeds; false if the child exits first or 10 s pass.
    private static func waitAccepting(port: UInt16, while child: Spawned) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline && child.isRunning {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = loopback(port)
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            if rc == 0 { return true }
            // Refused: swtpm has not bound yet. Wait on the child instead of sleeping blind: poll()
            // with no descriptors is the shortest portable pause.
            poll(nil, 0, 5)
        }
        return false
    }
}
