import KeyrackNames

/// Values by slug, held in one dense array in the order they came (`values`, with `slugs` beside
/// it) and found through a dictionary of their places: the grant store's table.
///
/// Why not a `[Slug: Value]`: a re-unlock renews every grant of the last unlock, in the same
/// order. In a dictionary each one cost a hash of its slug and a lookup at a random place of a
/// table of several MB (the daemon's largest cost of a 10 000-key re-unlock, most of it waiting
/// for memory); here the caller checks the place after the last one found first (`slug(at:)`,
/// one comparison) and walks the array front to back, hashing only a slug found elsewhere.
/// Removal moves the last value into the hole, so places change only at removals.
struct SlugTable<Value> {
    private(set) var slugs: [Slug] = []
    /// Changed in place through `subscript(at:)`.
    private(set) var values: [Value] = []
    private var places: [Slug: Int] = [:]

    var count: Int { values.count }
    var isEmpty: Bool { values.isEmpty }
    var indices: Range<Int> { values.indices }

    mutating func reserveCapacity(_ n: Int) {
        slugs.reserveCapacity(n)
        values.reserveCapacity(n)
        places.reserveCapacity(n)
    }

    /// Where `slug`'s value is, nil when it has none.
    func place(of slug: Slug) -> Int? { places[slug] }

    func contains(_ slug: Slug) -> Bool { places[slug] != nil }

    func slug(at place: Int) -> Slug { slugs[place] }

    /// The value at `place`, changed in place.
    subscript(at place: Int) -> Value {
        get { values[place] }
        _modify { yield &values[place] }
    }

    subscript(slug: Slug) -> Value? {
        get { places[slug].map { values[$0] } }
        set {
            if let newValue { updateValue(newValue, forKey: slug) } else { removeValue(forKey: slug) }
        }
    }

    /// Sets `slug`'s value (appended when it had none), answering the one it replaced.
    @discardableResult
    mutating func updateValue(_ value: Value, forKey slug: Slug) -> Value? {
        if let place = places[slug] {
            defer { values[place] = value }
            return values[place]
        }
        places[slug] = values.count
        slugs.append(slug)
        values.append(value)
        return nil
    }

    @discardableResult
    mutating func removeValue(forKey slug: Slug) -> Value? {
        guard let place = places[slug] else { return nil }
        return remove(at: place).value
    }

    /// Removes the value at `place`; the last one takes its place (so a caller walking the
    /// table from the back, removing as it goes, sees every value once).
    @discardableResult
    mutating func remove(at place: Int) -> (slug: Slug, value: Value) {
        let last = values.count - 1
        if place != last {
            values.swapAt(place, last)
            slugs.swapAt(place, last)
            places[slugs[place]] = place
        }
        let slug = slugs.removeLast()
        places[slug] = nil
        return (slug, values.removeLast())
    }
}
