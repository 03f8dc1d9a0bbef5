//go:build unix

package batch

import (
	"os"
	"os/signal"
	"syscall"
)

// notifyResize sends SIGWINCH, the terminal's resize signal, to c until
// the returned function is called.
func notifyResize(c chan<- os.Signal) (stop func()) {
	signal.Notify(c, syscall.SIGWINCH)
	return func() { signal.Stop(c) }
}
