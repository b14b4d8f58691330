#pragma once
// The `keyrack` front end's routing ahead of the Swift runtime: see FrontRoute.c. Nothing to call:
// the route runs as a constructor, before main.
