package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// defaultGlob is where Debian and Ubuntu install PostgreSQL server binaries.
const defaultGlob = "/usr/lib/postgresql/*/bin"

// superuser is the bootstrap superuser of throwaway clusters.
const superuser = "ingot"

// clusterPrefix starts the names of cluster directories; ownerFile in each
// holds the process ID of the test binary that started the cluster.
const (
	clusterPrefix = "ingot-pg-"
	ownerFile     = "owner.pid"
)

// binaries locates initdb and pg_ctl of one PostgreSQL installation.
type binaries struct {
	initdb, pgCtl string
}

// findBinaries looks for initdb in the PATH, then in the newest version
// directory matching glob. pg_ctl must sit beside initdb.
func findBinaries(path, glob string) (binaries, error) {
	var dirs []string
	for _, d := range filepath.SplitList(path) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	matches, _ := filepath.Glob(glob) // the pattern is constant and valid
	dirs = append(dirs, newestFirst(matches)...)
	for _, d := range dirs {
		b := binaries{initdb: filepath.Join(d, "initdb"), pgCtl: filepath.Join(d, "pg_ctl")}
		if isExecutable(b.initdb) && isExecutable(b.pgCtl) {
			return b, nil
		}
	}
	return binaries{}, errors.New("PostgreSQL is not installed (no initdb and pg_ctl in PATH or " + glob + ")")
}

// newestFirst orders version directories (…/15/bin, …/9.6/bin) by version,
// newest first.
func newestFirst(dirs []string) []string {
	out := append([]string(nil), dirs...)
	version := func(d string) []int {
		var v []int
		for _, p := range strings.Split(filepath.Base(filepath.Dir(d)), ".") {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil
			}
			v = append(v, n)
		}
		return v
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := version(out[i]), version(out[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		return len(a) > len(b)
	})
	return out
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// cluster is a throwaway PostgreSQL cluster in a temporary directory.
type cluster struct {
	bin      binaries
	dir      string // holds data/, the log and the unix socket
	port     int
	password string
	runAs    string // OS user running the server; "" = this process's user
}

func (c *cluster) adminDSN() string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=postgres sslmode=disable",
		quoteValue(c.dir), c.port, superuser, quoteValue(c.password))
}

// startCluster runs initdb and pg_ctl start. A port picked as free can be
// taken before the server binds it, so starting is retried on new ports.
// The cluster lives in a new directory under tmp; stale clusters found
// there are reaped first.
func startCluster(bin binaries, tmp string) (*cluster, error) {
	reapStale(bin, tmp)
	dir, err := os.MkdirTemp(tmp, clusterPrefix)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir, password: randomHex(16)}
	if err := c.init(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		c.port, err = freePort()
		if err == nil {
			err = c.start()
		}
		if err == nil {
			return c, nil
		}
		if attempt == 2 {
			_ = os.RemoveAll(dir)
			return nil, err
		}
	}
}

func (c *cluster) init() error {
	if os.Geteuid() == 0 {
		// initdb refuses to run as root; the server's files belong to postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			return errors.New("running as root, and there is no OS user postgres to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return err
		}
		c.runAs = "postgres"
	}
	pwfile := filepath.Join(c.dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(c.password+"\n"), 0o600); err != nil {
		return err
	}
	if err := c.chown(pwfile); err != nil {
		return err
	}
	_, err := c.run(c.bin.initdb, "-D", filepath.Join(c.dir, "data"),
		"-U", superuser, "--pwfile="+pwfile, "--auth=scram-sha-256",
		"-E", "UTF8", "--no-locale", "--no-sync")
	_ = os.Remove(pwfile)
	if err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	return nil
}

func (c *cluster) start() error {
	opts := strings.Join([]string{
		"-c port=" + strconv.Itoa(c.port),
		"-c listen_addresses=127.0.0.1",
		"-c unix_socket_directories=" + c.dir,
		// Durability is worthless for a cluster that dies with the tests.
		"-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
		"-c max_connections=200",
	}, " ")
	logFile := filepath.Join(c.dir, "server.log")
	_, err := c.run(c.bin.pgCtl, "start", "-D", filepath.Join(c.dir, "data"),
		"-w", "-t", "60", "-l", logFile, "-o", opts)
	if err != nil {
		log, _ := os.ReadFile(logFile)
		return fmt.Errorf("pg_ctl start: %w\n%s", err, tail(log, 20))
	}
	return nil
}

func (c *cluster) stop() error {
	err := c.halt()
	if rmErr := os.RemoveAll(c.dir); err == nil {
		err = rmErr
	}
	return err
}

// halt stops the server at once, as a crash or a killed host would: open
// connections are cut without a goodbye. The files stay.
func (c *cluster) halt() error {
	_, err := c.run(c.bin.pgCtl, "stop", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "-t", "60")
	return err
}

func (c *cluster) chown(path string) error {
	if c.runAs == "" {
		return nil
	}
	u, err := user.Lookup(c.runAs)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

// run runs a PostgreSQL program, as c.runAs when set, and returns its output;
// the output is part of the error when it fails.
func (c *cluster) run(name string, args ...string) ([]byte, error) {
	if c.runAs != "" {
		args = append([]string{"-u", c.runAs, "--", name}, args...)
		name = "runuser"
		if _, err := exec.LookPath(name); err != nil {
			return nil, errors.New("running as root needs runuser (util-linux) to start PostgreSQL as user postgres")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = c.dir
	// A server started by pg_ctl must not keep our output pipe open.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%w\n%s", err, tail(out, 20))
	}
	return out, nil
}

// reapStale stops and removes clusters whose test binary died without
// stopping them (a panic, a test timeout, a kill): nothing else would.
func reapStale(bin binaries, tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, clusterPrefix+"*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or still being set up
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || processAlive(pid) {
			continue
		}
		c := &cluster{bin: bin, dir: dir}
		if os.Geteuid() == 0 {
			c.runAs = "postgres" // as startCluster does when root
		}
		if pm, ok := postmasterPID(dir); ok && processAlive(pm) {
			if _, err := c.run(c.bin.pgCtl, "stop", "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "-t", "30"); err != nil {
				continue // leave what could not be stopped alone
			}
		}
		_ = os.RemoveAll(dir)
	}
}

// postmasterPID reads the server's process ID from its PID file.
func postmasterPID(dir string) (int, bool) {
	raw, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	return pid, err == nil
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	// Signal 0 checks for existence without disturbing the process.
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, os.ErrPermission)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
