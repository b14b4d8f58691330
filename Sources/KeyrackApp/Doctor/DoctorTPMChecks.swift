import AgeTPM
import Foundation
import KeyrackCore
import TPM

/// `doctor` for TPM owners: the TPM is reachable through its TCTI (and who made it), the owner's
/// sealed key loads on it, and the dictionary-attack state. Read-only and PIN-free, as every
/// doctor check: loading a key needs no authValue, and reading the counter costs no try.
extension DoctorChecks {
    func tpmChecks(_ primary: RecipientLocation?) -> [DoctorCheck] {
        let wantsTPM = primary?.via == .tpm
        var file: TPMIdentityFile?
        var fileError: Error?
        if wantsTPM, let path = primary?.identityPath {
            do { file = try TPMIdentityFiles.read(path) } catch { fileError = error }
        }
        let tcti = TPMClient.tcti(environment: ProcessInfo.processInfo.environment, recorded: file?.tcti)
        let client = TPMClient(tcti: tcti)
        var out: [DoctorCheck] = []
        do {
            let info = try client.info()
            out.append(.pass("tpm", "TPM 2.0 at \(tcti): manufacturer \(info.manufacturer)\(info.vendor.isEmpty ? "" : " (\(info.vendor))"), firmware \(info.firmware)"))
        } catch let error as TPMError {
            guard wantsTPM else { return [.skip("tpm", "\(error.problem) (not needed: '\(owner)' uses \(primary?.via.rawValue ?? "no recipient"))")] }
            return [.fail("tpm", error.problem, fix: .outside(error.remedy ?? "check the TPM with tpm2_getcap"))]
        } catch {
            return [.fail("tpm", "\(error)", fix: .outside("check the TPM with tpm2_getcap"))]
        }
        guard wantsTPM else { return out }
        if let fileError {
            out.append(.fail("owner's TPM key", "\(fileError)", fix: .restoreTPMIdentity(owner: owner)))
        } else if let file {
            do {
                try client.verify(file.stub.key)
                out.append(.pass("owner's TPM key", "loads on this TPM (\(file.stub.recipient.string.prefix(20))…, PIN \(file.stub.key.hasPIN ? "once" : "never"))"))
            } catch let error as TPMError {
                out.append(.fail("owner's TPM key", error.problem, fix: error.remedy.map(DoctorRemedy.outside) ?? .initialiseHere(owner: owner)))
            } catch {
                out.append(.fail("owner's TPM key", "\(error)", fix: .initialiseHere(owner: owner)))
            }
        }
        if let status = try? client.lockoutStatus() {
            out.append(status.inLockout
                ? .fail("tpm lockout", "the TPM is in dictionary-attack lockout (\(status.failedTries) failures; one try comes back every \(status.secondsPerTry) s)",
                        fix: .outside("wait, or reset it with the lockout authorisation: tpm2_dictionarylockout -c"))
                : .pass("tpm lockout", "\(status.failedTries) of \(status.maxTries) failed tries counted (one comes back every \(status.secondsPerTry) s)"))
        }
        return out
    }
}
