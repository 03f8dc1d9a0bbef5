// Package redistest starts a real redis-server for tests and benchmarks:
// its own folder, a unix socket (no port to race for) and a loopback TCP
// port, AOF on with an
// fsync per write, noeviction, and stopped when the test ends. Kill and
// Restart let a test crash the server with SIGKILL and bring it back from
// its AOF, as an operator's restart would.
//
// Where redis-server is not installed, Start skips the test with the line
// that installs it; with CI=true in the environment it fails instead, so
// that CI cannot pass by skipping.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// InstallHint says how to get the server the tests need.
const InstallHint = "apt-get install -y redis-server (Debian), or put redis-server on PATH"

// readyTimeout bounds the wait for the server's "Ready to accept
// connections" line; loading a test's AOF takes milliseconds.
const readyTimeout = 20 * time.Second

// Server is one redis-server process owned by a test. It is not safe for
// concurrent use: one goroutine (the test's) starts, kills and restarts it.
type Server struct {
	t      testing.TB
	bin    string
	dir    string // working folder: AOF, log
	extra  []string
	sock   string // unix socket path, short enough for sun_path
	port   int    // TCP port on 127.0.0.1
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// Start starts a redis-server for t and stops it when t ends. extra
// arguments override the defaults (the last of a setting wins), e.g.
// "--appendfsync", "everysec" for a benchmark of a production setting.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redistest: redis-server not found with CI=true: %s", InstallHint)
		}
		t.Skipf("redistest: redis-server not found; %s", InstallHint)
	}
	// A unix socket path must fit in 108 bytes; t.TempDir can be longer.
	sockDir, err := os.MkdirTemp("", "rds")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	s := &Server{t: t, bin: bin, dir: t.TempDir(), sock: filepath.Join(sockDir, "s"), port: freePort(t), extra: extra}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// Socket is the server's unix socket path.
func (s *Server) Socket() string { return s.sock }

// URL is the server's address as sluice's --coord takes it.
func (s *Server) URL() string { return "unix://" + s.sock + "?db=0" }

// Addr is the server's TCP address on loopback, HOST:PORT.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// TCPClient returns a new client of the server over loopback TCP, closed
// when the test ends: for measurements of what a network round trip
// costs.
func (s *Server) TCPClient() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), DialerRetries: 1, MaxRetries: -1})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before the server binds it; the server then fails to start and
// says so.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Dir is the server's working folder (its AOF lives under it).
func (s *Server) Dir() string { return s.dir }

// Client returns a new client of the server, closed when the test ends.
func (s *Server) Client() *redis.Client {
	// One dial attempt per command: a test that kills the server wants
	// its callers to see it at once, not after go-redis's five dials.
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock, DialerRetries: 1, MaxRetries: -1})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Kill sends SIGKILL to the server and waits for it to die: what it had
// not written to its AOF is lost, as in a crash.
func (s *Server) Kill() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Restart starts the server again on the same folder and socket; it
// loads its AOF before it reports ready.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

func (s *Server) args() []string {
	return append([]string{
		"--port", fmt.Sprint(s.port), "--bind", "127.0.0.1", "--unixsocket", s.sock, "--unixsocketperm", "700",
		"--dir", s.dir, "--appendonly", "yes", "--appendfsync", "always",
		"--save", "", "--maxmemory-policy", "noeviction",
		"--daemonize", "no", "--logfile", "", "--loglevel", "notice",
	}, s.extra...)
}

// start runs the server and waits for its ready line on stdout: an
// observable event ("Ready to accept connections" in 7.0, "ready to
// accept connections at SOCKET" in 7.0.15), not a guess at how long it takes.
func (s *Server) start() {
	s.t.Helper()
	_ = os.Remove(s.sock)
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Dir = s.dir
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redistest: start %s: %v", s.bin, err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	ready := make(chan error, 1)
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			if !signalled {
				log.WriteString(line + "\n")
				if strings.Contains(strings.ToLower(line), "ready to accept connections") {
					signalled = true
					ready <- nil
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
		if !signalled {
			ready <- fmt.Errorf("exited before ready")
		}
		_ = cmd.Wait()
		close(s.exited)
	}()
	select {
	case err := <-ready:
		if err != nil {
			<-s.exited
			s.cmd = nil
			s.t.Fatalf("redistest: redis-server %v:\n%s", err, log.String())
		}
	case <-time.After(readyTimeout):
		s.Kill()
		s.t.Fatalf("redistest: redis-server not ready after %v", readyTimeout)
	}
	// The socket exists once the ready line is printed; one PING proves
	// that the server answers.
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		s.t.Fatalf("redistest: ping: %v", err)
	}
}

func (s *Server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}
