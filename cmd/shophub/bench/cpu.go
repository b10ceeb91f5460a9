package bench

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) this process has used so far.
// Over a scenario's measured window it says what shophub's own work cost,
// which the wall clock of a shared machine does not: other processes
// stretch the elapsed time, not this.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// msPer is d in milliseconds per item.
func msPer(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000 / float64(n)
}
