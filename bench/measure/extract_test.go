package measure

import (
	"context"
	"errors"
	"math"
	"testing"
)

func TestRunExtractAgreesWithTruth(t *testing.T) {
	for _, tc := range []struct {
		name     string
		launcher Launcher
		gzip     bool
		warmup   bool
		reps     int
		sweep    []int
		wantRows int
	}{
		// Every kind at both sizes but full and json-unmarshal at the
		// larger (over the memory cap), then the two sweep rows.
		// The first in this process (see inProcess), the second in
		// children as sluice bench runs them.
		{"plain", inProcess{}, false, false, 2, []int{4 << 10, 1 << 20}, 2*len(Kinds()) - 2 + 2},
		{"gzip, warm-up", testLauncher(), true, true, 1, nil, 2*len(Kinds()) - 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ExtractConfig{
				Sizes:        []int64{32 << 10, 128 << 10},
				Kinds:        Kinds(),
				Reps:         tc.reps,
				SweepBuffers: tc.sweep,
				SweepSize:    32 << 10,
				Gzip:         tc.gzip,
				Warmup:       tc.warmup,
				Seed:         7,
				MemoryCap:    4 * (32 << 10), // full and json-unmarshal skipped at 128 KiB
			}
			var calls int
			res, err := RunExtract(context.Background(), cfg, tc.launcher, func(done, total int, row *Row, rep *Rep, err error) {
				calls++
				if err != nil {
					t.Errorf("%s at %d: %v", row.Kind, row.Size, err)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, res)
			if len(res.Rows) != tc.wantRows || len(res.Skipped) != 2 {
				t.Fatalf("%d rows and %d skipped, want %d and 2", len(res.Rows), len(res.Skipped), tc.wantRows)
			}
			if calls != tc.wantRows*cfg.Reps {
				t.Errorf("progress called %d times, want %d", calls, tc.wantRows*cfg.Reps)
			}
		})
	}
}

// checkResult checks the figures of res against each other.
func checkResult(t *testing.T, res *ExtractResult) {
	t.Helper()
	if !res.Agreement.OK {
		t.Fatalf("disagreement: %v", res.Agreement.Problems)
	}
	token := map[int64]float64{}
	for _, row := range res.Rows {
		if row.Kind == PeerToken && !row.Sweep {
			token[row.Size] = row.MedianMBps
		}
	}
	for _, row := range res.Rows {
		if len(row.Reps) != max(res.Config.Reps, 1) {
			t.Errorf("%s %d: %d reps", row.Kind, row.Size, len(row.Reps))
		}
		if row.BodyBytes <= 0 || row.PeakRSSBytes <= 0 || row.MedianMBps <= 0 {
			t.Errorf("%s %d: body %d, rss %d, MB/s %v", row.Kind, row.Size, row.BodyBytes, row.PeakRSSBytes, row.MedianMBps)
		}
		if row.Gzip && row.WireBytes >= row.BodyBytes || !row.Gzip && row.WireBytes != row.BodyBytes {
			t.Errorf("%s %d gzip=%v: wire %d, body %d", row.Kind, row.Size, row.Gzip, row.WireBytes, row.BodyBytes)
		}
		if row.Kind != KindRead && !row.Values.Equal(row.Truth) {
			t.Errorf("%s %d: values %v, truth %v", row.Kind, row.Size, row.Values, row.Truth)
		}
		want := row.MedianMBps / token[row.Size]
		if row.RatioToToken == nil || math.Abs(*row.RatioToToken-want) > 1e-9*want {
			t.Errorf("%s %d: ratio %v, want %v", row.Kind, row.Size, row.RatioToToken, want)
		}
	}
}

// lyingLauncher alters the values of one kind's answer.
type lyingLauncher struct {
	Launcher
	kind Kind
}

func (l lyingLauncher) Launch(ctx context.Context, req Request) (Response, Usage, error) {
	resp, u, err := l.Launcher.Launch(ctx, req)
	if err == nil && resp.Extract.Kind == l.kind {
		resp.Extract.Values.Count--
	}
	return resp, u, err
}

func TestRunExtractReportsDisagreement(t *testing.T) {
	cfg := ExtractConfig{Sizes: []int64{64 << 10}, Kinds: []Kind{KindStream, PeerToken}, Seed: 1}
	res, err := RunExtract(context.Background(), cfg, lyingLauncher{inProcess{}, PeerToken}, nil)
	if !errors.Is(err, ErrDisagree) {
		t.Fatalf("err = %v, want ErrDisagree", err)
	}
	if res == nil || res.Agreement.OK || len(res.Agreement.Problems) != 1 {
		t.Fatalf("agreement %+v", res.Agreement)
	}
}
