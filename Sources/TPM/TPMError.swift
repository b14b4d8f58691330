/// Every way talking to a TPM can fail. Each case renders as one line: the problem, then a
/// remedy in terms of the TPM and common tools, never in a program's own commands or options
/// (keyrack's CLI words those). None ever carries a PIN or key material.
public enum TPMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The TCTI names a device that does not exist: this machine shows no TPM 2.0.
    case noTPM(tcti: String)
    /// The device exists but this user may not open it (not in group `tss`).
    case permissionDenied(path: String)
    /// The TCTI could not be opened or stopped answering (swtpm not running, connection lost).
    case unreachable(tcti: String, detail: String)
    /// The key's authValue (PIN) was wrong; the dictionary-attack counter went up.
    case wrongPIN(triesLeft: Int?)
    /// The TPM is in dictionary-attack lockout: no key with a PIN can be used for a while.
    case lockout(secondsPerTry: Int?)
    /// The key has a PIN and none was given.
    case pinRequired
    /// A PIN of the wrong shape, refused before reaching the TPM.
    case invalidPIN(String)
    /// The sealed key belongs to another TPM (or another storage hierarchy of this one).
    case otherTPM
    /// The sealed key or its public part did not parse.
    case malformedKey(String)
    /// The TPM refused a command for another reason.
    case command(operation: String, code: UInt32, text: String)

    public var description: String { remedy.map { "\(problem): \($0)" } ?? problem }

    /// What went wrong, without what to do about it.
    public var problem: String {
        switch self {
        case .noTPM(let tcti): return "no TPM 2.0 found at \(tcti)"
        case .permissionDenied(let path): return "permission denied opening the TPM \(path)"
        case .unreachable(let tcti, let detail): return "cannot talk to the TPM at \(tcti) (\(detail))"
        case .wrongPIN(let tries):
            return "wrong TPM PIN" + (tries.map { " (\($0) \($0 == 1 ? "try" : "tries") left before the TPM locks out)" } ?? "")
        case .lockout(let seconds):
            return "the TPM is in dictionary-attack lockout" + (seconds.map { " (one try comes back every \($0) s)" } ?? "")
        case .pinRequired: return "the TPM key has a PIN and none was given"
        case .invalidPIN(let why): return why
        case .otherTPM: return "the sealed key belongs to another TPM (or this TPM's owner hierarchy was cleared)"
        case .malformedKey(let why): return "the sealed TPM key is malformed (\(why))"
        case .command(let operation, let code, let text):
            return "the TPM refused \(operation) (0x\(String(code, radix: 16)): \(text))"
        }
    }

    /// What to do next, in terms of the TPM and the usual tools only.
    public var remedy: String? {
        switch self {
        case .noTPM: return "enable the TPM in the firmware (or the VM's vTPM), or name another TCTI"
        case .permissionDenied: return "add the user to group tss (sudo usermod -aG tss USER) and log in again"
        case .unreachable: return "check the TPM (or swtpm) is running and retry"
        case .wrongPIN: return "retry with the right PIN"
        case .lockout: return "wait for the lockout to pass (tpm2_getcap properties-variable shows it), or reset it with the lockout authorisation (tpm2_dictionarylockout -c)"
        case .pinRequired: return "enter it on a terminal, or hand it to the program that asks"
        case .invalidPIN: return nil
        case .otherTPM: return "open the file on the machine whose TPM made the key, or with a backup recipient"
        case .malformedKey: return "restore the identity file from a backup"
        case .command: return "retry; if it persists, check the TPM with tpm2_getcap"
        }
    }
}
