package main

import "os"

// reopenSignals: Windows has no SIGUSR1; a rotated access log is picked
// up on restart.
var reopenSignals []os.Signal
