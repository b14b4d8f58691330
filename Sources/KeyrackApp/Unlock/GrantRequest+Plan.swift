import KeyrackCore
import KeyrackDaemon

extension GrantRequest {
    /// The daemon's requests for `plan`'s grants, in its order, each made from its grant read in
    /// place: mapped, each grant was first copied whole (every field retained) and released again
    /// after its request was made (issue 32). The values are the plan's own storage, not copies:
    /// the plan's wipe zeroes them.
    static func requests(of plan: UnlockPlan) -> [GrantRequest] {
        plan.grants.withUnsafeBufferPointer { planned in
            var requests: [GrantRequest] = []
            requests.reserveCapacity(planned.count)
            // Appended (taken as made); stored through `initialize(to:)`, each was copied once more.
            for i in planned.indices {
                requests.append(GrantRequest(slug: planned[i].slug, vault: planned[i].source, ttlMilliseconds: planned[i].ttlMilliseconds,
                                             value: planned[i].value, revocation: planned[i].revocation,
                                             revocationSecret: planned[i].revocationSecret, sendTo: planned[i].sendTo))
            }
            return requests
        }
    }
}
