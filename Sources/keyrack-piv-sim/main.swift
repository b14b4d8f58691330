// The simulator executable; see Sources/PIVSimulator.
