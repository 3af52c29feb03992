package joy

import "golang.org/x/sys/unix"

// threadCPU returns the CPU time of the calling thread in nanoseconds: on a
// shared machine a benchmark's own work, without the time other processes
// took the core (wall time under load varied by half from run to run).
func threadCPU() int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return ts.Nano()
}
