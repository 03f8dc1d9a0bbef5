package testenv

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestLarge(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want bool
	}{{"", false}, {"0", false}, {"yes", false}, {"1", true}} {
		t.Setenv(LargeVar, tt.val)
		if got := Large(); got != tt.want {
			t.Errorf("%s=%q: Large() = %v, want %v", LargeVar, tt.val, got, tt.want)
		}
	}
}

func TestQuick(t *testing.T) {
	if Race() && !Quick() {
		t.Error("under -race, Quick() is false")
	}
	if testing.Short() && !Quick() {
		t.Error("under -short, Quick() is false")
	}
}

func TestMain(m *testing.M) {
	NoRaceExitSleep()
	m.Run()
}

// TestNoRaceExitSleep: under -race on unix, TestMain executed the binary
// anew with the exit sleep off, for it and its children.
func TestNoRaceExitSleep(t *testing.T) {
	if !Race() || runtime.GOOS == "windows" {
		t.Skip("only a -race binary on unix executes itself anew")
	}
	if g := os.Getenv("GORACE"); !strings.Contains(g, "atexit_sleep_ms=0") {
		t.Errorf("GORACE=%q; want atexit_sleep_ms=0", g)
	}
}
