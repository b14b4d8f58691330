#pragma once
// The `keyrack` front end's routing ahead of glibc and the Swift runtime: see FrontRoute.c.
// Nothing to call: the route runs at the executable's entry point, before main.
