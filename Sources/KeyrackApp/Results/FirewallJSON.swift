/// `firewall --into json`: one object per listed secret; `value` only for a granted one (the
/// job asked for the values), `reason` only for a blocked one.
public struct FirewallAttemptJSON: Encodable, Equatable {
    public var slug: String
    /// granted, absent or blocked.
    public var status: String
    public var reason: String?
    public var value: String?

    public init(_ a: SecretsFirewall.Attempt) {
        (slug, status, reason) = (a.slug, a.status.rawValue, a.reason)
        value = a.status == .granted ? String(decoding: a.value, as: UTF8.self) : nil
    }
}
