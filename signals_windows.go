package main

import "os"

// reopenSignals: Windows has no SIGUSR1; a rotated access log is picked
// up on restart.
var reopenSignals []os.Signal

// upgradeSignals: Windows has no SIGUSR2 and no descriptor inheritance;
// upgrades are Unix-only (docs/upgrades.md).
var upgradeSignals []os.Signal
