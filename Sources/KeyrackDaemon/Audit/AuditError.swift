/// Why the access log cannot be used: the problem, and what to do, apart.
public struct AuditError: Error, Equatable, CustomStringConvertible, Sendable {
    public var problem: String
    public var remedy: String
    /// The log file itself is wrong (a symlink, a FIFO, not ours): never worked around, unlike
    /// a home the process cannot write (a read-only home under systemd's ProtectHome).
    public var aboutTheFile: Bool
    public init(_ problem: String, remedy: String, aboutTheFile: Bool = false) {
        self.problem = problem; self.remedy = remedy; self.aboutTheFile = aboutTheFile
    }
    public var description: String { "\(problem): \(remedy)" }
}
