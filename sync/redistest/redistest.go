// Package redistest gives tests a Redis of their own. With
// SHOPHUB_TEST_REDIS_ADDR set (CI always sets it) it claims a free database
// index on that server, flushed before and after, so test packages running
// in parallel never process each other's tasks (asynq has no key prefix).
// Without it, tests get an in-process miniredis — what `shophub dev` runs on.
package redistest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// EnvAddr names the variable holding the test Redis address.
const EnvAddr = "SHOPHUB_TEST_REDIS_ADDR"

// Client returns a Redis client on a private, empty database.
func Client(t testing.TB) (*redis.Client, *redis.Options) {
	t.Helper()
	addr := os.Getenv(EnvAddr)
	if addr == "" {
		mr := miniredis.RunT(t)
		StartClock(t, mr)
		opts := &redis.Options{Addr: mr.Addr()}
		c := redis.NewClient(opts)
		t.Cleanup(func() { _ = c.Close() })
		return c, opts
	}
	return claim(t, addr)
}

// claimTTL bounds how long a crashed test process keeps a database index;
// a live test renews its claim well within it.
const claimTTL = 2 * time.Minute

// claim takes a free database index on addr. The 15 indexes are shared by
// every test process on the machine (packages run side by side, and the
// end-to-end tests run in parallel), so a test waits for one to be released
// rather than failing while the machine is busy.
func claim(t testing.TB, addr string) (*redis.Client, *redis.Options) {
	t.Helper()
	ctx := context.Background()
	ctl := redis.NewClient(&redis.Options{Addr: addr, DB: 0})
	defer ctl.Close()
	const wait = 10 * time.Minute
	deadline := time.Now().Add(wait)
	for {
		for db := 1; db < 16; db++ {
			key := "shophub:testdb:" + strconv.Itoa(db)
			ok, err := ctl.SetNX(ctx, key, os.Getpid(), claimTTL).Result()
			if err != nil {
				t.Fatalf("test redis at %s: %v", addr, err)
			}
			if !ok {
				continue
			}
			return hold(t, addr, db, key)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no free database index on test redis %s: all 15 claimed for %s", addr, wait)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// hold flushes the claimed database and keeps the claim alive until the
// test ends, then flushes and releases it.
func hold(t testing.TB, addr string, db int, key string) (*redis.Client, *redis.Options) {
	t.Helper()
	ctx := context.Background()
	opts := &redis.Options{Addr: addr, DB: db}
	c := redis.NewClient(opts)
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("flush test redis db %d: %v", db, err)
	}
	ctl := redis.NewClient(&redis.Options{Addr: addr, DB: 0})
	stop := every(claimTTL/4, func() { _ = ctl.Expire(context.Background(), key, claimTTL).Err() })
	t.Cleanup(func() {
		stop()
		_ = c.FlushDB(context.Background()).Err()
		_ = c.Close()
		_ = ctl.Del(context.Background(), key).Err()
		_ = ctl.Close()
	})
	return c, opts
}

// StartClock ages miniredis keys in real time: miniredis only expires keys
// when told to, and asynq's locks and leases rely on expiry.
func StartClock(t testing.TB, mr *miniredis.Miniredis) {
	t.Cleanup(every(100*time.Millisecond, func() { mr.FastForward(100 * time.Millisecond) }))
}

// every calls fn every d in the background until stop is called; fn is not
// running once stop returns.
func every(d time.Duration, fn func()) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fn()
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// Server is a redis-server process of a test's own, for fault tests that
// stop and restart Redis without disturbing anyone else.
type Server struct {
	Addr string
	port int
	dir  string
	opts ServerOptions
	cmd  *exec.Cmd
	t    testing.TB
}

// ServerOptions configure a test's redis-server.
type ServerOptions struct {
	// Durable turns on the append-only file, fsynced at every write, as a
	// production Redis behind asynq should run: a killed and restarted
	// server then still holds every task it acknowledged.
	Durable bool
}

// StartServer starts redis-server on a free loopback port. Tests that need
// it skip, saying why, when the binary is not installed.
func StartServer(t testing.TB) *Server { return StartServerWith(t, ServerOptions{}) }

// StartServerWith is StartServer with options.
func StartServerWith(t testing.TB, o ServerOptions) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("needs the redis-server binary to stop and restart Redis (apt-get install redis-server)")
	}
	s := &Server{port: freePort(t), dir: t.TempDir(), opts: o, t: t}
	s.Addr = "127.0.0.1:" + strconv.Itoa(s.port)
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start (re)starts the server on its port and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	aof := []string{"--appendonly", "no"}
	if s.opts.Durable {
		aof = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	args := append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log")}, aof...)
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c.Ping(context.Background()).Err() == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("redis-server on %s did not answer", s.Addr)
}

// Stop kills the server (SIGKILL). Without Durable its data is lost, as
// with a crash of a cache node; with Durable, Start reloads it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
