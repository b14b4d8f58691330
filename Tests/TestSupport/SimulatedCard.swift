import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A software YubiKey plugged into the pcscd that `scripts/with-simulated-yubikey` started:
/// a real `keyrack-piv-sim` process on one of the free vpcd ports, so the code under test talks
/// to it through libpcsclite → pcscd → vpcd exactly as to hardware.
///
///     let card = try SimulatedCard.insert(serial: 10203040)
///     defer { card.remove() }
///     // libykpiv: ykpiv_connect(state, "@" + card.reader)
///
/// Outside the script (no `KEYRACK_SIM_PORTS`) every call throws: card tests fail, they do not
/// silently pass. `SimulatedCard.cardTestsDisabled` is true only when a developer set
/// `KEYRACK_NO_CARD_TESTS=1` outside CI, for tests that want to `XCTSkipIf` on it.
public final class SimulatedCard {
    public let serial: UInt32
    /// The vpcd TCP port the card is plugged into.
    public let port: Int
    /// The exact pcscd reader name (for libykpiv use `"@" + reader`; yubico-piv-tool `-r reader`).
    public let reader: String
    /// The card's persistent state (JSON); reuse it with `insert(stateFile:)` to re-insert the same card.
    public let stateFile: String
    /// Writing `auto`, `deny` or a delay in ms here changes the touch behaviour of the running card.
    public var touchControlFile: String { stateFile + ".touch" }
    /// The simulator's stderr (non-secret events only).
    public let logFile: String

    private var process: Process?
    private var lockFD: Int32
    private let pidFile: String

    public enum Failure: Error, CustomStringConvertible {
        case notUnderSimulator
        case noFreePort(String)
        case simulatorMissing(String)
        case notPresent(String)

        public var description: String {
            switch self {
            case .notUnderSimulator:
                return "no simulated-card environment (KEYRACK_SIM_PORTS unset): run the tests via scripts/test, "
                    + "or scripts/with-simulated-yubikey -- swift test"
            case .noFreePort(let why): return why
            case .simulatorMissing(let path):
                return "simulator binary \(path) not found: run swift build --product keyrack-piv-sim"
            case .notPresent(let why): return why
            }
        }
    }

    /// True when card tests may be skipped: `KEYRACK_NO_CARD_TESTS=1` and not on CI (`CI=true`).
    public static var cardTestsDisabled: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["KEYRACK_NO_CARD_TESTS"] == "1" && env["CI"] != "true"
    }

    // MARK: Environment exported by scripts/with-simulated-yubikey

    /// All vpcd ports of the private pcscd.
    public static func allPorts() throws -> [Int] { try ports("KEYRACK_SIM_PORTS") }

    /// Ports on which no card was started by the script (tests insert their own there).
    public static func freePorts() throws -> [Int] { try ports("KEYRACK_SIM_FREE_PORTS") }

    /// Port → pcscd reader name.
    public static func readers() throws -> [Int: String] {
        guard let text = ProcessInfo.processInfo.environment["KEYRACK_SIM_READERS"] else { throw Failure.notUnderSimulator }
        var out = [Int: String]()
        for pair in text.split(separator: ";") {
            guard let eq = pair.firstIndex(of: "="), let port = Int(pair[..<eq]) else { continue }
            out[port] = String(pair[pair.index(after: eq)...])
        }
        return out
    }

    /// Serial → port of the cards the script itself started (`--serial N`).
    public static func preinsertedCards() throws -> [UInt32: Int] {
        _ = try allPorts()
        var out = [UInt32: Int]()
        for pair in (ProcessInfo.processInfo.environment["KEYRACK_SIM_CARDS"] ?? "").split(separator: ",") {
            let parts = pair.split(separator: "=")
            if parts.count == 2, let s = UInt32(parts[0]), let p = Int(parts[1]) { out[s] = p }
        }
        return out
    }

    static var stateDirectory: String {
        get throws {
            guard let dir = ProcessInfo.processInfo.environment["KEYRACK_SIM_STATE_DIR"] else { throw Failure.notUnderSimulator }
            return dir
        }
    }

    private static func ports(_ name: String) throws -> [Int] {
        guard let text = ProcessInfo.processInfo.environment[name] else { throw Failure.notUnderSimulator }
        return text.split(separator: ",").compactMap { Int($0) }
    }

    // MARK: Insert / remove

    /// Starts a simulated card on a free port and waits until pcscd reports it present and it
    /// answers yubico-piv-tool.
    ///
    /// - Parameters:
    ///   - serial: the card's serial (ignored when `stateFile` already holds a card: its serial wins).
    ///   - port: a specific free port; default: the first free one not used by another test.
    ///   - touch: `auto`, `deny` or a delay in milliseconds.
    ///   - stateFile: reuse an existing card's state; default: a fresh factory card.
    ///   - version: firmware version, e.g. "5.7.1"; default 5.4.3.
    ///   - managementKeyType: "tdes" (default) or "aes192" (firmware 5.7 default).
    public static func insert(serial: UInt32 = UInt32.random(in: 10_000_000...99_999_999), port: Int? = nil,
                              touch: String = "auto", stateFile: String? = nil, version: String? = nil,
                              managementKeyType: String? = nil, timeout: TimeInterval = 15) throws -> SimulatedCard {
        let free = try freePorts()
        let names = try readers()
        let dir = try stateDirectory
        let binary = ProcessInfo.processInfo.environment["KEYRACK_SIM_BIN"] ?? Run.simulatorBinary
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw Failure.simulatorMissing(binary) }

        // Claim a port with an flock: released automatically if this test process dies.
        let candidates = port.map { [$0] } ?? free
        var claimed: (port: Int, fd: Int32)?
        for p in candidates where free.contains(p) {
            let fd = open("\(dir)/port-\(p).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { claimed = (p, fd); break }
            close(fd)
        }
        guard let claimed else {
            throw Failure.noFreePort("no free simulator port among \(candidates) (free: \(free)); remove a card first "
                                     + "or start more readers with scripts/with-simulated-yubikey --readers K")
        }
        guard let reader = names[claimed.port] else {
            close(claimed.fd)
            throw Failure.noFreePort("no reader name for port \(claimed.port) in KEYRACK_SIM_READERS")
        }

        var effectiveSerial = serial
        if let stateFile, let data = FileManager.default.contents(atPath: stateFile),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let stored = json["serial"] as? Int {
            effectiveSerial = UInt32(stored)
        }
        let state = stateFile ?? "\(dir)/card-\(effectiveSerial)-\(UUID().uuidString.prefix(8)).json"
        let log = "\(dir)/sim-\(effectiveSerial)-\(claimed.port).log"

        // A card removed by someone else may not have been noticed by pcscd yet (see remove()).
        _ = waitForReader(reader, "absent", milliseconds: 5000)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        var args = ["--state", state, "--serial", String(effectiveSerial), "--port", String(claimed.port), "--touch", touch]
        if let version { args += ["--version", version] }
        if let managementKeyType { args += ["--mgmt-key-type", managementKeyType] }
        p.arguments = args
        FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = FileHandle(forWritingAtPath: log)
        p.standardError = logHandle
        p.standardOutput = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            close(claimed.fd)
            throw Failure.simulatorMissing("\(binary) (\(error))")
        }
        try? logHandle?.close()

        let card = SimulatedCard(serial: effectiveSerial, port: claimed.port, reader: reader, stateFile: state,
                                 logFile: log, process: p, lockFD: claimed.fd, pidFile: "\(dir)/port-\(claimed.port).pid")
        try? "\(p.processIdentifier)\n".write(toFile: card.pidFile, atomically: true, encoding: .utf8)
        do {
            try card.waitUntilPresent(timeout: timeout)
        } catch {
            card.remove()
            throw error
        }
        return card
    }

    private init(serial: UInt32, port: Int, reader: String, stateFile: String, logFile: String,
                 process: Process, lockFD: Int32, pidFile: String) {
        self.serial = serial
        self.port = port
        self.reader = reader
        self.stateFile = stateFile
        self.logFile = logFile
        self.process = process
        self.lockFD = lockFD
        self.pidFile = pidFile
    }

    deinit { remove() }

    /// True while the simulator process runs.
    public var isInserted: Bool { process?.isRunning ?? false }

    /// Pulls the card out (SIGTERM: the simulator closes its vpcd socket at once, even in the
    /// middle of a command) and waits until pcscd no longer reaches it. The state file stays.
    public func remove() {
        guard let p = process else { return }
        process = nil
        if p.isRunning { kill(p.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        unlink(pidFile)
        // Wait until pcscd has seen the reader empty: a card plugged into the same vpcd port
        // before that would inherit this card's stale reader state and never be usable.
        _ = SimulatedCard.waitForReader(reader, "absent", milliseconds: 5000)
        if lockFD >= 0 { close(lockFD); lockFD = -1 }
    }

    /// Changes the touch behaviour of the running card: "auto", "deny" or a delay in milliseconds.
    public func setTouch(_ mode: String) throws {
        try mode.write(toFile: touchControlFile, atomically: true, encoding: .utf8)
    }

    /// Touches the card approved so far (from its state file), to assert an operation asked for one.
    public func touchCount() throws -> Int {
        try stateValue("touchCount") as? Int ?? 0
    }

    /// ECDH operations the card has done with its slot keys (it saves its state before answering,
    /// so the count is exact once the command that caused it returned): one unlock must cost one.
    public func ecdhCount() throws -> Int {
        try stateValue("ecdhCount") as? Int ?? 0
    }

    /// One top-level value of the card's state file (e.g. "serial", "touchCount", "slots").
    public func stateValue(_ key: String) throws -> Any? {
        let data = try Data(contentsOf: URL(fileURLWithPath: stateFile))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?[key]
    }

    /// Runs Yubico's `yubico-piv-tool -r <reader> ARGS…` against this card (the oracle).
    @discardableResult
    public func pivTool(_ arguments: [String], stdin: [UInt8] = []) throws -> RunResult {
        try Run.process("yubico-piv-tool", ["-r", reader] + arguments, stdin: stdin)
    }

    /// Waits (event-driven, in pcscd) for the card to show up, then checks it answers as itself.
    private func waitUntilPresent(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            guard process?.isRunning == true else {
                throw Failure.notPresent("simulator for card \(serial) exited early; log \(logFile): "
                                         + ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""))
            }
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            if SimulatedCard.waitForReader(reader, "present", milliseconds: max(100, min(left, 2000))) {
                let r = try pivTool(["-a", "status"])
                if r.status == 0, r.out.contains("Serial Number:\t\(serial)") { return }
                last = (r.out + r.err).trimmingCharacters(in: .whitespacesAndNewlines)
                usleep(50_000)
            }
        }
        throw Failure.notPresent("card \(serial) not present in reader \"\(reader)\" after \(Int(timeout)) s "
                                 + "(last yubico-piv-tool answer: \(last)); simulator log: \(logFile)")
    }

    /// scripts/pcsc-reader-wait: asks pcscd (SCardGetStatusChange) for the reader's state.
    static func waitForReader(_ reader: String, _ state: String, milliseconds: Int) -> Bool {
        let script = Run.packageRoot.appendingPathComponent("scripts/pcsc-reader-wait").path
        return (try? Run.process(script, [reader, state, String(milliseconds)]).status) == 0
    }
}
