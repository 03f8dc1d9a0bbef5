// Package nginxtest runs a real nginx (Debian's nginx-light) for a test:
// static bodies behind limit_req, the rate limiter most APIs sit behind,
// with gzip on and, optionally, a Retry-After on every 429. Each server
// has its own config, prefix, pid file and error log under t.TempDir(),
// runs in the foreground (daemon off) and is stopped when the test ends.
//
// The listening socket is bound by the test on a free 127.0.0.1 port and
// handed to nginx as an inherited socket (the NGINX environment variable
// nginx itself uses for binary upgrades), so there is no port race and no
// wait for readiness: connections queue on the socket until nginx accepts.
//
// Where nginx is not installed, Start skips the test with the command that
// installs it; with CI=true in the environment it fails instead, so that
// CI cannot pass by skipping.
package nginxtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// InstallHint says how to get nginx.
const InstallHint = "install it with: apt-get install -y nginx-light"

// Config is one server. The zero value serves without a limit.
type Config struct {
	// Rate is limit_req's rate in requests per second; 0: no limit.
	Rate int
	// Burst is limit_req's burst (nodelay: a burst is served at once,
	// beyond it 429).
	Burst int
	// RetryAfter, when not empty, is sent on every 429 (add_header
	// Retry-After … always); nginx sends no rate header otherwise.
	RetryAfter string
	// Files are the bodies served under /data/, by name.
	Files map[string][]byte
}

// Server is a running nginx.
type Server struct {
	URL    string // http://127.0.0.1:PORT
	dir    string
	cmd    *exec.Cmd
	out    strings.Builder // nginx's stdout and stderr
	exited chan error
}

// Find returns the path of nginx, or an error that says how to install it.
func Find() (string, error) {
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin, nil
		}
	}
	return "", fmt.Errorf("nginxtest: nginx not found; %s", InstallHint)
}

// Bin finds nginx, skipping (or failing under CI=true) t without it.
func Bin(t testing.TB) string {
	t.Helper()
	bin, err := Find()
	if err == nil {
		return bin
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v (CI=true)", err)
	}
	t.Skip(err)
	return ""
}

// Start runs nginx for t as c says and stops it when t ends.
func Start(t testing.TB, c Config) *Server {
	t.Helper()
	bin := Bin(t)
	s, err := Run(bin, t.TempDir(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Log(err)
		}
	})
	return s
}

// Run starts nginx (bin, from Find) with its config, prefix and bodies in
// dir, as c says; Stop ends it. For programs that are not tests (sluice
// bench scrape --server nginx); tests call Start.
func Run(bin, dir string, c Config) (*Server, error) {
	fail := func(err error) (*Server, error) { return nil, fmt.Errorf("nginxtest: %w", err) }
	if err := os.Chmod(dir, 0o755); err != nil {
		return fail(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		return fail(err)
	}
	for name, b := range c.Files {
		path := filepath.Join(data, filepath.FromSlash(name)) // a name may hold folders (a prefix's /24)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fail(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return fail(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	defer ln.Close() // nginx holds its own copy
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	addr := ln.Addr().String()
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(config(dir, addr, c)), 0o644); err != nil {
		return fail(err)
	}
	cmd := exec.Command(bin, "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	cmd.ExtraFiles = []*os.File{f} // fd 3
	cmd.Env = append(os.Environ(), "NGINX=3;")
	s := &Server{URL: "http://" + addr, dir: dir, cmd: cmd, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = &s.out, &s.out
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("start %s: %w", bin, err))
	}
	go func() { s.exited <- cmd.Wait() }()
	return s, nil
}

// Stop ends nginx (SIGINT: its fast shutdown) and waits for it.
func (s *Server) Stop() error {
	_ = s.cmd.Process.Signal(os.Interrupt)
	if err := <-s.exited; err != nil && !strings.Contains(err.Error(), "signal") {
		return fmt.Errorf("nginxtest: nginx exited: %w\n%s", err, s.out.String())
	}
	return nil
}

// ErrorLog returns nginx's error log so far, for a failing test to show.
func (s *Server) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
	return string(b)
}

// config is the nginx.conf of c, with every path under dir.
func config(dir, addr string, c Config) string {
	var b strings.Builder
	if os.Geteuid() == 0 {
		b.WriteString("user root;\n") // the workers must read t.TempDir()
	}
	fmt.Fprintf(&b, `worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp-body;
	proxy_temp_path %[1]s/tmp-proxy;
	fastcgi_temp_path %[1]s/tmp-fastcgi;
	uwsgi_temp_path %[1]s/tmp-uwsgi;
	scgi_temp_path %[1]s/tmp-scgi;
	default_type application/json;
	keepalive_requests 100000;
	keepalive_timeout 60s;
	gzip on;
	gzip_types application/json;
	gzip_min_length 256;
`, dir)
	if c.Rate > 0 {
		fmt.Fprintf(&b, "\tlimit_req_zone $binary_remote_addr zone=api:1m rate=%dr/s;\n\tlimit_req_status 429;\n", c.Rate)
	}
	fmt.Fprintf(&b, "\tserver {\n\t\tlisten %s;\n\t\troot %s;\n\t\tlocation /data/ {\n", addr, dir)
	if c.Rate > 0 {
		fmt.Fprintf(&b, "\t\t\tlimit_req zone=api burst=%d nodelay;\n", c.Burst)
	}
	if c.RetryAfter != "" {
		// always: on the 429s limit_req sends too (and on 200s, which a
		// client must ignore).
		fmt.Fprintf(&b, "\t\t\tadd_header Retry-After %s always;\n", c.RetryAfter)
	}
	b.WriteString("\t\t}\n")
	b.WriteString("\t}\n}\n")
	return b.String()
}
