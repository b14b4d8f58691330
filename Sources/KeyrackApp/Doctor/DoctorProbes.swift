import KeyrackDaemon
import PIV

/// What `doctor` asks the machine beyond the owner's files: the cards pcscd sees, what pcscd
/// enforces and how it is started, the sandbox's kernel features, and where daemons listen. One
/// value, so tests pass fakes (a machine without pcscd, a pcscd with --auto-exit) and check the
/// verdicts without the hardware.
public struct DoctorProbes {
    /// The readers' YubiKeys; throws `PIVError.pcscdNotRunning` when pcscd is not there.
    public var cards: () throws -> [(reader: String, serial: UInt32)]
    public var pcscdAccess: () -> (open: Bool, detail: String)
    public var pcscdAutoExit: () -> (autoExit: Bool, source: String)?
    public var sandbox: () -> SandboxReport
    public var runtime: RuntimeDirectory

    public init(cards: @escaping () throws -> [(reader: String, serial: UInt32)],
                pcscdAccess: @escaping () -> (open: Bool, detail: String),
                pcscdAutoExit: @escaping () -> (autoExit: Bool, source: String)?,
                sandbox: @escaping () -> SandboxReport,
                runtime: RuntimeDirectory) {
        self.cards = cards
        self.pcscdAccess = pcscdAccess
        self.pcscdAutoExit = pcscdAutoExit
        self.sandbox = sandbox
        self.runtime = runtime
    }

    /// This machine, as the CLI runs doctor.
    public static var live: DoctorProbes {
        DoctorProbes(cards: { try PIVCards.serials() }, pcscdAccess: PcscdAccess.describe, pcscdAutoExit: PcscdAutoExit.detect,
                     sandbox: { SandboxReport.probe() }, runtime: .current())
    }
}
