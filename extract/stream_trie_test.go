package extract

import (
	"fmt"
	"strings"
	"testing"
)

// TestMatchKeys holds pathNode.match to plain string equality for keys of
// every length around the two-word compare (8 to 16 bytes): each key finds
// its own child, written as is or with an escape, and a key that differs
// in any one byte, or is one byte shorter or longer, finds none.
func TestMatchKeys(t *testing.T) {
	var sels []Selector
	var keys []string
	for l := 1; l <= 20; l++ {
		k := strings.Repeat("k", l-1) + string(rune('a'+l%26))
		sel, err := ParseSelector(k)
		if err != nil {
			t.Fatal(err)
		}
		sels = append(sels, sel)
		keys = append(keys, k)
	}
	root, _ := buildTrie(sels)
	var scratch []byte
	for _, k := range keys {
		want := root.match([]byte(k), &scratch)
		if want == nil || len(want.sels) != 1 || keys[want.sels[0]] != k {
			t.Fatalf("key %q: no child of its own", k)
		}
		if got := root.match([]byte(fmt.Sprintf(`\u%04x`, k[0])+k[1:]), &scratch); got != want {
			t.Errorf("key %q with its first byte escaped: another child", k)
		}
		for i := range k {
			b := []byte(k)
			b[i] ^= 1
			if got := root.match(b, &scratch); got != nil {
				t.Errorf("key %q changed at byte %d (%q): matched %v", k, i, b, got.sels)
			}
		}
		if got := root.match([]byte(k[:len(k)-1]+"x"+k[len(k)-1:]), &scratch); got != nil && keys[got.sels[0]] == k {
			t.Errorf("key %q one byte longer: matched it", k)
		}
	}
}
