package cputime

import (
	"testing"

	"github.com/sluicehq/sluice/bench/testenv"
)

func TestMain(m *testing.M) {
	testenv.NoRaceExitSleep()
	m.Run()
}
