// keyrack-piv-sim: plays one software YubiKey 5 NFC (PIV, and the Management and OTP
// applications' read-only answers) in a vsmartcard vpcd reader of the real pcscd. The card's state lives in --state FILE, so it survives restarts; the touch
// behaviour can be changed while it runs by writing `auto`, `deny` or a delay in ms to the
// control file (default: FILE.touch). SIGTERM/SIGINT pull the card out and exit 0.

import Foundation
import PIVSimulator

let usage = """
usage: keyrack-piv-sim --state FILE [--serial N] [--port P] [--host ADDR] [--touch auto|deny|MS]
                       [--touch-control FILE] [--version X.Y.Z] [--mgmt-key-type tdes|aes192] [--verbose]

  --state FILE          card state (JSON; created with factory defaults if absent)
  --serial N            serial number; required when FILE does not exist yet, must match otherwise
  --port P              vpcd port (default 35963)
  --host ADDR           vpcd address (default 127.0.0.1)
  --touch MODE          auto (default): touches approved at once; deny: every touch times out
                        (the card answers 6982); MS: approved after MS milliseconds
  --touch-control FILE  file whose content (auto|deny|MS), when present, overrides --touch at each
                        touch (default: the state file path + ".touch")
  --version X.Y.Z       firmware the card plays (default 5.4.3); on an existing card, changes it.
                        5.7.0 and later: Ed25519/X25519 slot keys, MOVE/DELETE KEY, paged device
                        info and an AES-192 factory management key
  --mgmt-key-type T     factory management key type of a new card: tdes or aes192 (default: the
                        firmware's, AES-192 from 5.7.0, TDES before)
  --verbose             log every instruction byte and status word (never data) to stderr
"""

func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("keyrack-piv-sim: \(message)\n".utf8))
    exit(code)
}

var options: [String: String] = [:]
var verbose = false
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "-h", "--help":
        print(usage)
        exit(0)
    case "--verbose":
        verbose = true
    case "--state", "--serial", "--port", "--host", "--touch", "--touch-control", "--version", "--mgmt-key-type":
        guard let v = args.first else { fail("\(a) needs a value\n\(usage)") }
        args.removeFirst()
        options[a] = v
    default:
        fail("unknown argument \(a)\n\(usage)")
    }
}

guard let statePath = options["--state"] else { fail("--state FILE is required\n\(usage)") }
let serial: UInt32? = try {
    guard let s = options["--serial"] else { return nil }
    guard let n = UInt32(s), n > 0, n < 0x8000_0000 else { fail("--serial must be a number from 1 to 2147483647, got \(s)") }
    return n
}()
guard let port = UInt16(options["--port"] ?? "35963"), port > 0 else { fail("--port must be a TCP port number") }
let host = options["--host"] ?? "127.0.0.1"
guard let initialTouch = TouchMode(options["--touch"] ?? "auto") else {
    fail("--touch must be auto, deny or a delay in milliseconds (0-600000)")
}
let version: [UInt8]? = options["--version"].map { v in
    let parts = v.split(separator: ".").compactMap { UInt8($0) }
    guard parts.count == 3 else { fail("--version must look like 5.4.3, got \(v)") }
    return parts
}
let mgmtAlgorithm: UInt8?
switch options["--mgmt-key-type"] {
case nil: mgmtAlgorithm = nil
case "tdes": mgmtAlgorithm = PIVAlgorithm.tdes
case "aes192": mgmtAlgorithm = PIVAlgorithm.aes192
case let other?: fail("--mgmt-key-type must be tdes or aes192, got \(other)")
}
let controlPath = options["--touch-control"] ?? statePath + ".touch"

let store = StateFile(path: statePath)
var state: CardState
do {
    if let existing = try store.load() {
        if let serial, serial != existing.serial {
            fail("\(statePath) holds card \(existing.serial), not \(serial); use another --state file or drop --serial")
        }
        state = existing
        if let version { state.version = version }
    } else {
        guard let serial else { fail("\(statePath) does not exist; give --serial N to create a new card") }
        state = CardState.factory(serial: serial, version: version ?? [5, 4, 3], managementKeyAlgorithm: mgmtAlgorithm)
    }
    try store.save(state)
} catch {
    fail("\(error)", code: 1)
}

func log(_ message: String) {
    FileHandle.standardError.write(Data("keyrack-piv-sim[\(state.serial)]: \(message)\n".utf8))
}

/// The control file wins when present, so a test can flip touch behaviour mid-run.
func currentTouchMode() -> TouchMode {
    if let text = try? String(contentsOfFile: controlPath, encoding: .utf8), let mode = TouchMode(text) { return mode }
    return initialTouch
}

let applet = PIVApplet(state: state, touch: {
    let mode = currentTouchMode()
    log("touch requested (\(mode))")
    return mode
})
applet.waitForTouch = VPCDBridge.interruptibleWait
applet.onStateChange = { newState in
    do { try store.save(newState) } catch { log("\(error)") }
}
if verbose {
    applet.trace = { command, status in log(String(format: "INS %02X P1 %02X P2 %02X -> %@", command[1], command[2], command[3], status)) }
}

VPCDBridge.installStopHandlers()
log("serial \(state.serial), firmware \(state.versionString), state \(statePath), touch \(initialTouch)")
VPCDBridge(host: host, port: port, applet: applet, log: log).run()
exit(0)
