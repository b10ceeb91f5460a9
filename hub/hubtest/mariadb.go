package hubtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// MariaDB is a mariadbd process of a test's own, on a spare loopback port
// with its data directory in t.TempDir(). Fault tests stop, kill and
// restart it without disturbing the shared server other packages' tests
// use at the same time.
type MariaDB struct {
	// Addr is host:port; it stays the same across restarts.
	Addr string

	t       testing.TB
	bin     string
	port    int
	dir     string
	datadir string
	tmpdir  string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
}

// serverArgs keep start-up and the footprint small: a test database holds
// a few thousand rows. Durability stays on (flush at every commit), because
// fault tests kill the server and count on what was committed.
func (m *MariaDB) serverArgs() []string {
	args := []string{
		"--no-defaults",
		"--datadir=" + m.datadir,
		"--tmpdir=" + m.tmpdir,
		"--socket=" + filepath.Join(m.dir, "mariadb.sock"),
		"--pid-file=" + filepath.Join(m.dir, "mariadb.pid"),
		"--port=" + strconv.Itoa(m.port),
		"--bind-address=127.0.0.1",
		"--skip-name-resolve",
		"--skip-log-bin",
		"--innodb-buffer-pool-size=32M",
		"--innodb-log-file-size=8M",
		"--max-connections=500",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_bin",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root") // mariadbd refuses root otherwise
	}
	return args
}

// StartMariaDB installs a fresh data directory and starts mariadbd on a
// free loopback port; t.Cleanup stops it. Tests skip, saying why, when the
// binaries are not installed (CI machines have them).
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	bin, err := lookFirst("mariadbd", "mysqld")
	if err != nil {
		t.Skip("needs the mariadbd binary to stop and restart the database (apt-get install mariadb-server)")
	}
	install, err := lookFirst("mariadb-install-db", "mysql_install_db")
	if err != nil {
		t.Skip("needs mariadb-install-db to create a private data directory (apt-get install mariadb-server)")
	}
	dir, err := os.MkdirTemp("", "shophub-mariadb-") // t.TempDir's long paths overflow the socket path limit
	if err != nil {
		t.Fatalf("mariadb dir: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	m := &MariaDB{t: t, bin: bin, dir: dir, datadir: filepath.Join(dir, "data"), tmpdir: filepath.Join(dir, "tmp"), port: freePort(t)}
	m.Addr = "127.0.0.1:" + strconv.Itoa(m.port)
	// A private tmpdir: the shared /tmp saw a concurrent install's
	// temporary tables vanish ("Unknown table 'mysql.tmp_user_sys'").
	if err := os.Mkdir(m.tmpdir, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"--no-defaults", "--datadir=" + m.datadir, "--tmpdir=" + m.tmpdir, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve", "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	out, err := exec.Command(install, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", install, err, tail(out, 2000))
	}
	// freePort's port is free when asked, not when mariadbd binds it: a
	// test starting beside this one can take it in between ("Address
	// already in use"), and then a fresh port is tried.
	for attempt := 0; ; attempt++ {
		err := m.start()
		if err == nil {
			break
		}
		if attempt < 3 && strings.Contains(err.Error(), "Address already in use") {
			_ = os.Remove(filepath.Join(m.dir, "mariadb.log")) // the next attempt's tail is its own
			m.port = freePort(t)
			m.Addr = "127.0.0.1:" + strconv.Itoa(m.port)
			continue
		}
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// DSN is the DSN of database db (which CreateDatabase makes) as root.
func (m *MariaDB) DSN(db string) string {
	c := mysqldrv.NewConfig()
	c.User, c.Net, c.Addr, c.DBName = "root", "tcp", m.Addr, db
	return c.FormatDSN()
}

// CreateDatabase creates database name and returns its DSN.
func (m *MariaDB) CreateDatabase(name string) string {
	m.t.Helper()
	db, err := sql.Open("mysql", m.DSN(""))
	if err != nil {
		m.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE IF NOT EXISTS `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		m.t.Fatalf("create database %s: %v", name, err)
	}
	return m.DSN(name)
}

// Start (re)starts mariadbd on the same data directory and port and waits
// until it answers.
func (m *MariaDB) Start() {
	m.t.Helper()
	if err := m.start(); err != nil {
		m.t.Fatal(err)
	}
}

func (m *MariaDB) start() error {
	m.mu.Lock()
	if m.cmd != nil {
		m.mu.Unlock()
		return nil
	}
	log, err := os.OpenFile(filepath.Join(m.dir, "mariadb.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	cmd := exec.Command(m.bin, m.serverArgs()...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		m.mu.Unlock()
		return fmt.Errorf("start mariadbd: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = log.Close(); close(exited) }()
	m.cmd, m.exited = cmd, exited
	m.mu.Unlock()

	db, err := sql.Open("mysql", m.DSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			m.mu.Lock()
			m.cmd = nil
			m.mu.Unlock()
			return fmt.Errorf("mariadbd exited at start:\n%s", m.logTail())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("mariadbd on %s did not answer: %v\n%s", m.Addr, err, m.logTail())
}

// Stop shuts the server down cleanly (SIGTERM) and waits for it to exit.
func (m *MariaDB) Stop() { m.signal(syscall.SIGTERM) }

// Kill crashes the server (SIGKILL): InnoDB recovers committed work at the
// next Start, as after a power cut.
func (m *MariaDB) Kill() { m.signal(syscall.SIGKILL) }

func (m *MariaDB) signal(sig syscall.Signal) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Signal(sig)
	select {
	case <-m.exited:
	case <-time.After(60 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	m.cmd = nil
}

func (m *MariaDB) logTail() string {
	b, _ := os.ReadFile(filepath.Join(m.dir, "mariadb.log"))
	return tail(b, 2000)
}

func tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func lookFirst(names ...string) (string, error) {
	var err error
	for _, n := range names {
		var p string
		if p, err = exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("none of %v installed: %w", names, err)
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
