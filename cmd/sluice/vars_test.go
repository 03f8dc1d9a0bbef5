package main

import (
	"testing"
)

func TestParseVars(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in      []string
		wantErr bool
	}{
		{[]string{"a=1", "b=x=y"}, false},
		{[]string{"novalue"}, true},
		{[]string{"=1"}, true},
	} {
		_, err := parseVars(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseVars(%q): err %v, want error %v", tt.in, err, tt.wantErr)
		}
	}
}
