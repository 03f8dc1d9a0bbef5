package extract

import (
	"errors"
	"io"
	"strconv"
	"testing"
)

// collect runs a stream Extractor over r and returns "sel:raw" for each
// emitted value, in order.
func collect(t testing.TB, opts Options, r io.Reader) ([]string, error) {
	t.Helper()
	opts.Mode = Stream
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	var got []string
	_, err = e.Run(r, func(sel int, raw []byte) error {
		got = append(got, strconv.Itoa(sel)+":"+string(raw))
		return nil
	})
	return got, err
}

func isSyntaxOrTooLarge(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se) || errors.Is(err, ErrValueTooLarge)
}
