import KeyrackCore
import KeyrackDaemon

/// The daemon's slug of a manifest key (the daemon knows grants, not manifests): the one
/// conversion between the two.
extension GrantSlug {
    init(_ slug: Slug) { self.init(org: slug.org.value, env: slug.env.value, name: slug.key.value) }
}
