/// Why the access log cannot be used: the problem, and what to do, apart.
public struct AuditError: Error, Equatable, CustomStringConvertible, Sendable {
    public var problem: String
    public var remedy: String
    public init(_ problem: String, remedy: String) { self.problem = problem; self.remedy = remedy }
    public var description: String { "\(problem): \(remedy)" }
}
