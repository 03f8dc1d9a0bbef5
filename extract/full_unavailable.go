//go:build !amd64 && !arm64

package extract

import (
	"fmt"
	"runtime"
)

// newFullScanner reports that Full mode is not built here: sonic, which it
// walks the body with, supports only 64-bit amd64 and arm64. Every other
// mode works on every platform.
func newFullScanner(Options, []Selector) (scanner, error) {
	return nil, fmt.Errorf("extract: full mode is not available on %s/%s (it needs sonic, built for amd64 and arm64 only); use stream mode",
		runtime.GOOS, runtime.GOARCH)
}
