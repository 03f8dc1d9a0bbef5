package scrape

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/sluicehq/sluice/bench/testenv"
)

func TestMain(m *testing.M) {
	testenv.NoRaceExitSleep()
	goleak.VerifyTestMain(m)
}
