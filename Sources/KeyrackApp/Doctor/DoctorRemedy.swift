/// What fixes a doctor finding. A step outside the program (a system command, a file's mode, a
/// card to plug in) is its words as they are; a step that is one of the program's own commands
/// is typed, and the CLI words it (DoctorRemedy+Text), so this library names no command or option.
public enum DoctorRemedy: Equatable, Sendable {
    /// A step outside the program, in words ready to show.
    case outside(String)
    /// The owner has no manifest here: initialise it (a card, a TPM, an ssh key or an age key).
    case initialise(owner: String)
    /// The recipients file at `path` does not read: restore it, or initialise the owner again.
    case restoreRecipients(owner: String, path: String)
    /// No card is recorded for the owner: list its recipients, then initialise it with its card again.
    case recordTheCard(owner: String)
    /// The owner's card is not here: plug it in, or unlock with a backup recipient.
    case plugInOrUseBackup(owner: String, serial: UInt32)
    /// The card's slot holds another key: recover with a backup recipient, then initialise again.
    case recoverWithBackup(owner: String)
    /// The card's slot does not read: look at the cards, then initialise with that card again.
    case checkTheCard(owner: String, serial: UInt32)
    /// The card still has a factory secret: change it.
    case changeFactory(FactorySecret, serial: UInt32)
    /// The card did not answer: plug it in again and run the checks again.
    case replugAndCheckAgain(owner: String, serial: UInt32)
    /// KEYRACK_HOME is absent: initialising an owner makes it.
    case initialiseMakesIt(owner: String)
    /// A daemon nothing can reach (`stale`: a socket nobody answers on): stop it.
    case stopTheDaemon(owner: String, stale: Bool)
    /// pcscd is open to every local user: robots get a PIN-once slot and a PIN file.
    case pinOnceForRobots
    /// The owner's TPM identity file does not read: restore it, or unlock with a backup recipient.
    case restoreTPMIdentity(owner: String)
    /// The TPM does not load the owner's key: initialise the owner again on this machine.
    case initialiseHere(owner: String)

    public enum FactorySecret: String, Sendable { case pin = "PIN", puk = "PUK", managementKey = "management key" }

    /// The remedy in plain words, naming no command or option of a program.
    public var words: String {
        switch self {
        case .outside(let text): text
        case .initialise: "initialise the owner (with a YubiKey, a TPM, an ssh key or an age key)"
        case .restoreRecipients(_, let path): "restore \(path) from a backup, or initialise the owner again"
        case .recordTheCard: "list the owner's recipients, then initialise it with its YubiKey again"
        case .plugInOrUseBackup(_, let serial): "plug in YubiKey \(serial), or unlock with a backup recipient"
        case .recoverWithBackup: "the slot was overwritten: recover with a backup recipient and initialise again"
        case .checkTheCard(_, let serial): "list the YubiKeys, and initialise the owner with YubiKey \(serial) again"
        case .changeFactory(let secret, let serial): "change the \(secret.rawValue) of YubiKey \(serial)"
        case .replugAndCheckAgain(_, let serial): "re-plug YubiKey \(serial) and check again"
        case .initialiseMakesIt: "initialising the owner creates it"
        case .stopTheDaemon(_, let stale): stale ? "stop the daemon (clears the stale socket); the next unlock starts a fresh one" : "stop the daemon through its pid file (wipes its keys)"
        case .pinOnceForRobots: "give robots a PIN-once slot and a PIN file; unplug cards not in use, or run a pcscd built with polkit"
        case .restoreTPMIdentity: "restore the identity file, or unlock with a backup recipient"
        case .initialiseHere: "initialise the owner again on this machine"
        }
    }
}
