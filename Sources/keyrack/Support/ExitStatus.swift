// The exit codes (ExitStatus), the reporting protocol (CLIReportable), the shared error types
// (UsageError, CommandFailure, NotGranted) and Terminal live in KeyrackClient, Foundation-free,
// because the `keyrack` front end reports `get` failures with them too. Re-exported here so
// every command file sees them.
@_exported import KeyrackClient
