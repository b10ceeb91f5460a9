package bench

import (
	"bytes"
	"os"
	"strconv"
	"strings"
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

// serverCPU is the CPU time used so far by the local Redis and MySQL/MariaDB
// servers (read from /proc, by process name): on one machine the three
// share the cores, so what a scenario costs them per item says as much as
// shophub's own CPU. Zero where /proc or the process is not found (a
// remote server).
type serverCPU struct{ redis, db time.Duration }

func serverCPUNow() serverCPU {
	var s serverCPU
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return s
	}
	tick := time.Second / 100 // USER_HZ on Linux
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		open, shut := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || shut < open {
			continue
		}
		name := string(b[open+1 : shut])
		f := strings.Fields(string(b[shut+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		d := time.Duration(ut+st) * tick
		switch name {
		case "redis-server":
			s.redis += d
		case "mariadbd", "mysqld":
			s.db += d
		}
	}
	return s
}

// perItem is what the servers spent since before, in ms per item.
func (s serverCPU) perItem(before serverCPU, n int) (redisMS, dbMS float64) {
	return msPer(s.redis-before.redis, n), msPer(s.db-before.db, n)
}
