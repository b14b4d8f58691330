import KeyrackNames
import KeyrackProxy

/// The keycards of one run, decided from the fetched grants without touching anything: a
/// placeholder per key (unique, never the value, none inside another or inside a value), the
/// destinations each may go to, when each grant ends, and what to tell the user.
struct KeycardPlan {
    struct Input {
        var name: String
        var value: [UInt8]
        var sendTo: [String]
        var remainingMilliseconds: UInt64
        var slug: String? = nil
    }

    var cards: [Keycard] = []
    var placeholders: [(name: String, placeholder: [UInt8])] = []
    /// The keys no request will carry (no host to be sent to): the user is told (ExecProxy).
    var unsent: [String] = []
    /// Every destination some key may go to (NO_PROXY must not send them around the proxy).
    var hosts: [Destination] = []

    var summary: String {
        cards.map { card in
            "\(card.name) → " + (card.destinations.isEmpty ? "nowhere" : card.destinations.map(\.description).joined(separator: ","))
        }.joined(separator: "; ")
    }

    static func make(_ inputs: [Input], now: UInt64) throws -> KeycardPlan {
        var rng = SystemRandomNumberGenerator()
        return try make(inputs, now: now, using: &rng)
    }

    static func make<R: RandomNumberGenerator>(_ inputs: [Input], now: UInt64, using rng: inout R) throws -> KeycardPlan {
        var plan = KeycardPlan()
        var taken = inputs.map(\.value)
        for input in inputs {
            guard let placeholder = Placeholder.make(for: input.value, avoiding: taken, using: &rng) else {
                throw ExecProxyError.noPlaceholder(name: input.name)
            }
            taken.append(placeholder)
            // Written by `set`, which checked them; one that no longer parses is left out, not guessed at.
            let destinations = input.sendTo.compactMap(Destination.init)
            if destinations.isEmpty { plan.unsent.append(input.name) }
            plan.cards.append(Keycard(name: input.name, placeholder: placeholder, value: input.value, destinations: destinations,
                                      expiresAtMilliseconds: now &+ input.remainingMilliseconds, slug: input.slug))
            plan.placeholders.append((input.name, placeholder))
            for d in destinations where !plan.hosts.contains(d) { plan.hosts.append(d) }
        }
        return plan
    }
}
