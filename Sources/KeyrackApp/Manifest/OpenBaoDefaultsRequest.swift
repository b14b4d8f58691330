import Foundation
import KeyrackCore
import KeyrackNames
import PIV

/// What `set-default` was asked to change, as given (nil: unchanged), and its rules: the slugs,
/// slot and lease role parse, the jwt mount is the auth mount under another name, and a request
/// either sets something or clears the section.
@dynamicMemberLookup
public struct OpenBaoDefaultsRequest: Equatable {
    /// How a request is refused: the problem, and the remedy apart (the CLI words the options).
    public enum Problem: Error, Equatable, Sendable {
        /// The login slot is not a PIV slot keyrack can use (9a, 9c, 9d, 9e or 82–95).
        case invalidSlot(String)
        /// The jwt mount and the auth mount name one setting, given two values.
        case mountGivenTwice
        /// Neither a setting nor a clear.
        case nothingToSet
        /// A clear with settings beside it.
        case clearWithSettings
    }

    /// The settings given, in the words the answer prints them with (one list of the fields for
    /// both: OpenBaoDefaultsFields).
    public var given = OpenBaoDefaultsFields()
    /// The auth mount as the jwt login names it: the same setting as `authMount`.
    public var jwtMount: String?
    /// Drop the section (alone).
    public var clear = false

    public init() {}

    /// `request.addr = …`: a setting of `given` read and written as the request's own, so a caller
    /// fills a request option by option without knowing which part holds which.
    public subscript<Value>(dynamicMember field: WritableKeyPath<OpenBaoDefaultsFields, Value>) -> Value {
        get { given[keyPath: field] }
        set { given[keyPath: field] = newValue }
    }

    /// Every rule but the address's (OpenBaoSettings.validateToStore, checked first by the caller).
    public func check() throws {
        _ = try given.roleIdKey.map(Slug.init(validating:))
        _ = try given.secretIdKey.map(Slug.init(validating:))
        try given.leaseRole.map(OpenBaoLease.validate(role:))
        if let slot = given.slot, PIVSlot(parsing: slot) == nil { throw Problem.invalidSlot(String(slot.prefix(10))) }
        if let jwtMount, let authMount = given.authMount, jwtMount != authMount { throw Problem.mountGivenTwice }
        let setsSomething = !given.isEmpty || jwtMount != nil
        if !setsSomething && !clear { throw Problem.nothingToSet }
        if setsSomething && clear { throw Problem.clearWithSettings }
    }

    /// The settings given, typed as the manifest keeps them: a CA path made absolute against
    /// `directory`, a slot in its canonical spelling, the jwt mount as the auth mount.
    public func changes(directory: String = FileManager.default.currentDirectoryPath) throws -> OpenBaoSettings {
        try check()
        let g = given
        var c = OpenBaoSettings()
        (c.addr, c.cacert, c.namespace, c.login) = (g.addr, g.cacert.map { InvocationPaths.absolutePath($0, in: directory) }, g.namespace, g.login)
        (c.authMount, c.certRole, c.slot, c.serial) = (g.authMount ?? jwtMount, g.certRole, g.slot.flatMap(PIVSlot.init(parsing:))?.description, g.serial)
        (c.roleIdKey, c.secretIdKey) = (try g.roleIdKey.map(Slug.init(validating:)), try g.secretIdKey.map(Slug.init(validating:)))
        (c.jwtRole, c.jwtAudience, c.jwtSource, c.leaseRole) = (g.jwtRole, g.jwtAudience, g.jwtSource, g.leaseRole)
        return c
    }
}

extension OpenBaoDefaults {
    /// `request` applied to `owner`'s manifest; returns the section as stored.
    public static func set(owner: OwnerName, _ request: OpenBaoDefaultsRequest, store: HostManifestStore,
                           identities: () throws -> ManifestIdentities) throws -> OpenBaoSettings {
        try set(owner: owner, changes: try request.changes(), clear: request.clear, store: store, identities: identities)
    }
}
