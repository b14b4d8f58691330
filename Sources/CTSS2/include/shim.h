#pragma once
// The TCG software stack (tpm2-tss): ESYS for the commands, the TCTI loader for the transport
// (device:/dev/tpmrm0, swtpm:host=…,port=…), MU for the blobs' wire form, RC for error text.
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
