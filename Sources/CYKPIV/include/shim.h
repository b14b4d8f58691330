#pragma once
// libykpiv's header by its path under the multiarch include directory (no pkg-config -I: the
// library is loaded on first use, see Deferred.c, so pkg-config's link flags must not come along).
#include <ykpiv/ykpiv.h>
