import KeyrackClient
import KeyrackDaemon

// How the daemon commands speak to users (messages, exit codes, Fix, KeyRequest, Firewall,
// TextFormat, Output) is KeyrackClient's DaemonMessages.swift: the `keyrack` front end answers
// `get` with the same code. The full CLI only adds its own reporting protocol.
extension DaemonError: CLIReportable {}
