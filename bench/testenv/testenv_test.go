package testenv

import "testing"

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
