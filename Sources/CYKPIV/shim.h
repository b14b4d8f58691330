#pragma once
#include <ykpiv.h>
