import ArgumentParser
import KeyrackCore
import KeyrackClient
import KeyrackPresentation

/// The core's typed parses run from `validate()`, their errors as ArgumentParser's usage errors.
enum UsageChecks {
    /// Runs a typed parse in `validate()`, turning its error into ArgumentParser's usage error.
    static func check(_ body: () throws -> Void) throws {
        do { try body() } catch let error as KeyrackError { throw ValidationError(error.cliLine.text) }
    }

    /// An OpenBao address given to `set` or `set-default`, refused on one line (exit 2) when it is
    /// not one keyrack would connect to: plain http off this machine above all. Called first in
    /// `run()`: ArgumentParser puts whatever `validate()` throws under a usage block, so
    /// `validate()` leaves a refused address to `run()` (`refusesOpenBaoAddress`).
    static func checkOpenBaoAddress(_ address: String?) throws {
        guard let address else { return }
        do { try OpenBaoSettings.validateToStore(addr: address) } catch let error as KeyrackError { throw UsageError(error.cliLine) }
    }

    static func refusesOpenBaoAddress(_ address: String?) -> Bool {
        (try? checkOpenBaoAddress(address)) == nil
    }
}
