package cputime

import (
	"runtime"
	"testing"
)

// Both clocks move while this goroutine computes, and a thread never has
// used more than its process.
func TestClocksAdvance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Thread is measured on Linux only")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0, t0 := Process(), Thread()
	if p0 <= 0 || t0 <= 0 {
		t.Fatalf("Process %v, Thread %v: want both above 0 in a running test", p0, t0)
	}
	x := uint64(1)
	for i := 0; i < 1<<32 && (Process() == p0 || Thread() == t0); i++ {
		x = x*6364136223846793005 + 1442695040888963407 // work the clocks can see
	}
	p1, t1 := Process(), Thread()
	if p1 <= p0 || t1 <= t0 {
		t.Fatalf("Process %v -> %v, Thread %v -> %v: want both to advance (x=%d)", p0, p1, t0, t1, x)
	}
	if t1 > p1 {
		t.Errorf("Thread %v is more than Process %v", t1, p1)
	}
}
