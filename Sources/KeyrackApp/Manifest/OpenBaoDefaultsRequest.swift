import Foundation
import KeyrackCore
import KeyrackNames
import PIV

/// What `set-default` was asked to change, as given (nil: unchanged), and its rules: the slugs,
/// slot and lease role parse, the jwt mount is the auth mount under another name, and a request
/// either sets something or clears the section.
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

    public var addr: String?
    public var cacert: String?
    public var namespace: String?
    public var login: OpenBaoSettings.Login?
    public var authMount: String?
    public var certRole: String?
    public var slot: String?
    public var serial: UInt32?
    public var roleIdKey: String?
    public var secretIdKey: String?
    public var jwtRole: String?
    public var jwtAudience: String?
    /// The auth mount as the jwt login names it: the same setting as `authMount`.
    public var jwtMount: String?
    public var jwtSource: OpenBaoSettings.JWTSource?
    public var leaseRole: String?
    /// Drop the section (alone).
    public var clear = false

    public init() {}

    /// Every rule but the address's (OpenBaoSettings.validateToStore, checked first by the caller).
    public func check() throws {
        _ = try roleIdKey.map(Slug.init(validating:))
        _ = try secretIdKey.map(Slug.init(validating:))
        try leaseRole.map(OpenBaoLease.validate(role:))
        if let slot, PIVSlot(parsing: slot) == nil { throw Problem.invalidSlot(String(slot.prefix(10))) }
        if let jwtMount, let authMount, jwtMount != authMount { throw Problem.mountGivenTwice }
        let setsSomething = [addr, cacert, namespace, authMount, certRole, slot, roleIdKey, secretIdKey, jwtRole, jwtAudience, jwtMount, leaseRole]
            .contains { $0 != nil } || login != nil || serial != nil || jwtSource != nil
        if !setsSomething && !clear { throw Problem.nothingToSet }
        if setsSomething && clear { throw Problem.clearWithSettings }
    }

    /// The settings given, typed as the manifest keeps them: a CA path made absolute against
    /// `directory`, a slot in its canonical spelling, the jwt mount as the auth mount.
    public func changes(directory: String = FileManager.default.currentDirectoryPath) throws -> OpenBaoSettings {
        try check()
        var c = OpenBaoSettings()
        (c.addr, c.cacert, c.namespace, c.login) = (addr, cacert.map { InvocationPaths.absolutePath($0, in: directory) }, namespace, login)
        (c.authMount, c.certRole, c.slot, c.serial) = (authMount ?? jwtMount, certRole, slot.flatMap(PIVSlot.init(parsing:))?.description, serial)
        (c.roleIdKey, c.secretIdKey) = (try roleIdKey.map(Slug.init(validating:)), try secretIdKey.map(Slug.init(validating:)))
        (c.jwtRole, c.jwtAudience, c.jwtSource, c.leaseRole) = (jwtRole, jwtAudience, jwtSource, leaseRole)
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
