// Written from the prototypes in <tss2/*.h>: one function per libtss2 call keyrack makes, with the
// library's own name and signature, that calls the real one (resolved on first use, see
// Sources/CLibraryLoader). A call to a function not listed here fails to link: add it here.
#include "library_loader.h"
// The C library's headers the libraries' headers include, first, so their declarations stay default.
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
// Hidden: the functions below satisfy keyrack's own calls and are never exported, so the real
// library, once loaded, can never bind its own calls to them (whatever --export-dynamic says).
#pragma GCC visibility push(hidden)
#include "shim.h"

// The real function: its address, looked up the first time through (a race looks it up twice).
#define DEFERRED(name, soname, package) ((__typeof__(&name))keyrack_deferred(&real, soname, package, #name))

TSS2_RC Esys_Create(ESYS_CONTEXT *esysContext, ESYS_TR parentHandle, ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3, const TPM2B_SENSITIVE_CREATE *inSensitive, const TPM2B_PUBLIC *inPublic, const TPM2B_DATA *outsideInfo, const TPML_PCR_SELECTION *creationPCR, TPM2B_PRIVATE **outPrivate, TPM2B_PUBLIC **outPublic, TPM2B_CREATION_DATA **creationData, TPM2B_DIGEST **creationHash, TPMT_TK_CREATION **creationTicket) {
    static void *real;
    return DEFERRED(Esys_Create, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, parentHandle, shandle1, shandle2, shandle3, inSensitive, inPublic, outsideInfo, creationPCR, outPrivate, outPublic, creationData, creationHash, creationTicket);
}

TSS2_RC Esys_CreatePrimary(ESYS_CONTEXT *esysContext, ESYS_TR primaryHandle, ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3, const TPM2B_SENSITIVE_CREATE *inSensitive, const TPM2B_PUBLIC *inPublic, const TPM2B_DATA *outsideInfo, const TPML_PCR_SELECTION *creationPCR, ESYS_TR *objectHandle, TPM2B_PUBLIC **outPublic, TPM2B_CREATION_DATA **creationData, TPM2B_DIGEST **creationHash, TPMT_TK_CREATION **creationTicket) {
    static void *real;
    return DEFERRED(Esys_CreatePrimary, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, primaryHandle, shandle1, shandle2, shandle3, inSensitive, inPublic, outsideInfo, creationPCR, objectHandle, outPublic, creationData, creationHash, creationTicket);
}

TSS2_RC Esys_ECDH_ZGen(ESYS_CONTEXT *esysContext, ESYS_TR keyHandle, ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3, const TPM2B_ECC_POINT *inPoint, TPM2B_ECC_POINT **outPoint) {
    static void *real;
    return DEFERRED(Esys_ECDH_ZGen, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, keyHandle, shandle1, shandle2, shandle3, inPoint, outPoint);
}

void Esys_Finalize(ESYS_CONTEXT **context) {
    static void *real;
    DEFERRED(Esys_Finalize, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(context);
}

TSS2_RC Esys_FlushContext(ESYS_CONTEXT *esysContext, ESYS_TR flushHandle) {
    static void *real;
    return DEFERRED(Esys_FlushContext, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, flushHandle);
}

void Esys_Free(void *__ptr) {
    static void *real;
    DEFERRED(Esys_Free, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(__ptr);
}

TSS2_RC Esys_GetCapability(ESYS_CONTEXT *esysContext, ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3, TPM2_CAP capability, UINT32 property, UINT32 propertyCount, TPMI_YES_NO *moreData, TPMS_CAPABILITY_DATA **capabilityData) {
    static void *real;
    return DEFERRED(Esys_GetCapability, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, shandle1, shandle2, shandle3, capability, property, propertyCount, moreData, capabilityData);
}

TSS2_RC Esys_Initialize(ESYS_CONTEXT **esys_context, TSS2_TCTI_CONTEXT *tcti, TSS2_ABI_VERSION *abiVersion) {
    static void *real;
    return DEFERRED(Esys_Initialize, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esys_context, tcti, abiVersion);
}

TSS2_RC Esys_Load(ESYS_CONTEXT *esysContext, ESYS_TR parentHandle, ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3, const TPM2B_PRIVATE *inPrivate, const TPM2B_PUBLIC *inPublic, ESYS_TR *objectHandle) {
    static void *real;
    return DEFERRED(Esys_Load, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, parentHandle, shandle1, shandle2, shandle3, inPrivate, inPublic, objectHandle);
}

TSS2_RC Esys_Sign(ESYS_CONTEXT *esysContext, ESYS_TR keyHandle, ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3, const TPM2B_DIGEST *digest, const TPMT_SIG_SCHEME *inScheme, const TPMT_TK_HASHCHECK *validation, TPMT_SIGNATURE **signature) {
    static void *real;
    return DEFERRED(Esys_Sign, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, keyHandle, shandle1, shandle2, shandle3, digest, inScheme, validation, signature);
}

TSS2_RC Esys_StartAuthSession(ESYS_CONTEXT *esysContext, ESYS_TR tpmKey, ESYS_TR bind, ESYS_TR shandle1, ESYS_TR shandle2, ESYS_TR shandle3, const TPM2B_NONCE *nonceCaller, TPM2_SE sessionType, const TPMT_SYM_DEF *symmetric, TPMI_ALG_HASH authHash, ESYS_TR *sessionHandle) {
    static void *real;
    return DEFERRED(Esys_StartAuthSession, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, tpmKey, bind, shandle1, shandle2, shandle3, nonceCaller, sessionType, symmetric, authHash, sessionHandle);
}

TSS2_RC Esys_TRSess_SetAttributes(ESYS_CONTEXT *esysContext, ESYS_TR session, TPMA_SESSION flags, TPMA_SESSION mask) {
    static void *real;
    return DEFERRED(Esys_TRSess_SetAttributes, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, session, flags, mask);
}

TSS2_RC Esys_TR_GetName(ESYS_CONTEXT *esysContext, ESYS_TR handle, TPM2B_NAME **name) {
    static void *real;
    return DEFERRED(Esys_TR_GetName, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, handle, name);
}

TSS2_RC Esys_TR_SetAuth(ESYS_CONTEXT *esysContext, ESYS_TR handle, TPM2B_AUTH const *authValue) {
    static void *real;
    return DEFERRED(Esys_TR_SetAuth, "libtss2-esys.so.0", "libtss2-esys-3.0.2-0")(esysContext, handle, authValue);
}

TSS2_RC Tss2_MU_TPM2B_NAME_Marshal(TPM2B_NAME const *src, uint8_t buffer[], size_t buffer_size, size_t *offset) {
    static void *real;
    return DEFERRED(Tss2_MU_TPM2B_NAME_Marshal, "libtss2-mu.so.0", "libtss2-mu0")(src, buffer, buffer_size, offset);
}

TSS2_RC Tss2_MU_TPM2B_PRIVATE_Marshal(TPM2B_PRIVATE const *src, uint8_t buffer[], size_t buffer_size, size_t *offset) {
    static void *real;
    return DEFERRED(Tss2_MU_TPM2B_PRIVATE_Marshal, "libtss2-mu.so.0", "libtss2-mu0")(src, buffer, buffer_size, offset);
}

TSS2_RC Tss2_MU_TPM2B_PRIVATE_Unmarshal(uint8_t const buffer[], size_t buffer_size, size_t *offset, TPM2B_PRIVATE *dest) {
    static void *real;
    return DEFERRED(Tss2_MU_TPM2B_PRIVATE_Unmarshal, "libtss2-mu.so.0", "libtss2-mu0")(buffer, buffer_size, offset, dest);
}

TSS2_RC Tss2_MU_TPM2B_PUBLIC_Marshal(TPM2B_PUBLIC const *src, uint8_t buffer[], size_t buffer_size, size_t *offset) {
    static void *real;
    return DEFERRED(Tss2_MU_TPM2B_PUBLIC_Marshal, "libtss2-mu.so.0", "libtss2-mu0")(src, buffer, buffer_size, offset);
}

TSS2_RC Tss2_MU_TPM2B_PUBLIC_Unmarshal(uint8_t const buffer[], size_t buffer_size, size_t *offset, TPM2B_PUBLIC *dest) {
    static void *real;
    return DEFERRED(Tss2_MU_TPM2B_PUBLIC_Unmarshal, "libtss2-mu.so.0", "libtss2-mu0")(buffer, buffer_size, offset, dest);
}

const char * Tss2_RC_Decode(TSS2_RC rc) {
    static void *real;
    return DEFERRED(Tss2_RC_Decode, "libtss2-rc.so.0", "libtss2-rc0")(rc);
}

void Tss2_TctiLdr_Finalize(TSS2_TCTI_CONTEXT **context) {
    static void *real;
    DEFERRED(Tss2_TctiLdr_Finalize, "libtss2-tctildr.so.0", "libtss2-tctildr0")(context);
}

TSS2_RC Tss2_TctiLdr_Initialize(const char *nameConf, TSS2_TCTI_CONTEXT **context) {
    static void *real;
    return DEFERRED(Tss2_TctiLdr_Initialize, "libtss2-tctildr.so.0", "libtss2-tctildr0")(nameConf, context);
}

#pragma GCC visibility pop
