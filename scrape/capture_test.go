package scrape

import (
	"strings"
	"testing"
)

func TestCaptureName(t *testing.T) {
	tests := []struct {
		node, prefix string
		hashed       bool
	}{
		{"AS3333", "AS3333", false},
		{"193.0.0.0_21", "193.0.0.0_21", false},
		{"193.0.0.0/21", "193.0.0.0_21~", true},
		{"2001:db8::/32", "2001_db8___32~", true},
		{"../../etc/passwd", "_._.._etc_passwd~", true},
		{"a/b", "a_b~", true},
		{"a\x00b", "a_b~", true},
		{".hidden", "_hidden~", true},
		{"..", "_.~", true},
		{"", "~", true},
		{"AS1,AS2", "AS1,AS2", false},
		{strings.Repeat("x", 121), strings.Repeat("x", 120) + "~", true},
		{"é", "__~", true},
	}
	for _, tt := range tests {
		got := CaptureName(tt.node)
		if !strings.HasPrefix(got, tt.prefix) || (tt.hashed != (len(got) == len(tt.prefix)+16)) {
			t.Errorf("CaptureName(%q) = %q, want prefix %q hashed=%v", tt.node, got, tt.prefix, tt.hashed)
		}
		checkSafeName(t, tt.node, got)
	}
	if a, b := CaptureName("a/b"), CaptureName("a_b"); a == b {
		t.Errorf("a/b and a_b share %q", a)
	}
	if a, b := CaptureName("a/b"), CaptureName("a\x00b"); a == b {
		t.Errorf("a/b and a NUL b share %q", a)
	}
}

func checkSafeName(t *testing.T, node, name string) {
	t.Helper()
	if name == "" || name == "." || name == ".." || name[0] == '.' || len(name) > 140 ||
		strings.ContainsAny(name, "/\\\x00:") {
		t.Errorf("CaptureName(%q) = %q is not a safe file name", node, name)
	}
	for _, c := range []byte(name) {
		if !safeNameByte(c) && c != '~' {
			t.Errorf("CaptureName(%q) = %q has byte %q", node, name, c)
		}
	}
}

// FuzzCaptureName checks that every node gets a safe name and that two
// different nodes never share one.
func FuzzCaptureName(f *testing.F) {
	for _, s := range []string{"AS3333", "193.0.0.0/21", "../../etc/passwd", "a/b", "a_b", "a\x00b", "", ".", "~x"} {
		f.Add(s, "a_b")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := CaptureName(a), CaptureName(b)
		checkSafeName(t, a, na)
		checkSafeName(t, b, nb)
		if a != b && na == nb {
			t.Errorf("%q and %q share %q", a, b, na)
		}
	})
}
