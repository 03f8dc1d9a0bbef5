package mockapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Instance is a Server listening on a TCP address. Close it when done.
type Instance struct {
	// URL is the base URL, e.g. http://127.0.0.1:PORT (no trailing slash).
	URL string
	// Addr is the address listened on.
	Addr net.Addr
	// Server is the handler, for Stats, Truth and BodyOptions.
	Server *Server

	http *http.Server
	done chan struct{} // closed when Serve returned
	err  error         // Serve's error, other than ErrServerClosed
}

// Start creates a Server from cfg and serves it on addr ("" means
// 127.0.0.1:0, a free loopback port) until Close.
func Start(cfg Config, addr string) (*Instance, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return serve(s, s, addr)
}

// serve listens on addr and serves h, which is s or a handler around it
// (a test's, to observe when a request arrives).
func serve(s *Server, h http.Handler, addr string) (*Instance, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mockapi: listen %s: %w", addr, err)
	}
	inst := &Instance{
		URL:    "http://" + ln.Addr().String(),
		Addr:   ln.Addr(),
		Server: s,
		http: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(inst.done)
		if err := inst.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			inst.err = err
		}
	}()
	return inst, nil
}

// Shutdown stops accepting connections, ends stalls (with their reset),
// and waits for the other answers in progress to finish until ctx is
// done; then it closes what is left as Close does.
func (i *Instance) Shutdown(ctx context.Context) error {
	i.Server.cancelStalls() // a stall would hold its connection until ctx ends
	err := i.http.Shutdown(ctx)
	if err != nil {
		return errors.Join(err, i.Close())
	}
	return i.Close()
}

// Close stops the server at once: it ends latencies and stalls, closes
// the listener and every connection, and waits for the serving goroutine
// and all handlers to return.
func (i *Instance) Close() error {
	i.Server.Close()
	err := i.http.Close()
	<-i.done
	i.Server.Wait()
	return errors.Join(err, i.err)
}
