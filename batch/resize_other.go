//go:build !unix

package batch

import "os"

// notifyResize does nothing where there is no SIGWINCH; the bar still
// reads the width at every redraw.
func notifyResize(chan<- os.Signal) (stop func()) { return func() {} }
