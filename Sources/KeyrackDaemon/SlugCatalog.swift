import KeyrackNames

/// A set of slugs held as one sorted array without duplicates (Slug's own order), found by
/// binary search: the grant store's catalog. Sorted arrays, not a `Set`, because building one
/// is what an unlock pays for and a lookup in it is rare (a `get` of a key that is not granted):
/// a client's slugs arrive sorted, which costs one comparison each to confirm, where a `Set`
/// hashed every slug anew at every unlock. Unsorted input is sorted, so any order is right.
struct SlugCatalog {
    private(set) var slugs: [Slug] = []

    init() {}

    init(_ slugs: [Slug]) { self.slugs = SlugCatalog.sortedUnique(slugs) }

    func contains(_ slug: Slug) -> Bool {
        var low = 0, high = slugs.count
        while low < high {
            let mid = (low + high) / 2
            if slugs[mid] < slug { low = mid + 1 } else { high = mid }
        }
        return low < slugs.count && slugs[low] == slug
    }

    /// Adds `more` (any order) by one merge: the grants a relock or an expiry ends come in
    /// batches, and inserting each into a sorted array would move the rest of it each time.
    mutating func formUnion(_ more: [Slug]) {
        formUnion(sortedUnique: SlugCatalog.sortedUnique(more))
    }

    /// `formUnion` of slugs the caller has sorted, each once (a relock's, an expiry's), taken as
    /// they are: confirming the order again cost a comparison per slug, 11 M instructions for
    /// a relock of 10 000.
    mutating func formUnion(sortedUnique added: [Slug]) {
        guard !added.isEmpty else { return }
        guard !slugs.isEmpty else { slugs = added; return }
        var merged: [Slug] = []
        merged.reserveCapacity(slugs.count + added.count)
        var i = 0, j = 0
        while i < slugs.count && j < added.count {
            if slugs[i] < added[j] { merged.append(slugs[i]); i += 1 }
            else if added[j] < slugs[i] { merged.append(added[j]); j += 1 }
            else { merged.append(slugs[i]); i += 1; j += 1 }
        }
        merged.append(contentsOf: slugs[i...])
        merged.append(contentsOf: added[j...])
        slugs = merged
    }

    /// `list` sorted, each slug once; `list` itself when it already is (one pass to see it).
    private static func sortedUnique(_ list: [Slug]) -> [Slug] {
        var ascending = true
        for i in list.indices.dropFirst() where !(list[i - 1] < list[i]) { ascending = false; break }
        if ascending { return list }
        var unique: [Slug] = []
        unique.reserveCapacity(list.count)
        for slug in list.sorted() where unique.last != slug { unique.append(slug) }
        return unique
    }
}
