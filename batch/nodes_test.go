package batch

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadNodes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    ListOptions
		nodes   []string
		dups    []Duplicate
		invalid []Invalid // Text is not compared when empty
	}{
		{
			name:  "plain",
			in:    "AS3333\nAS13335\n193.0.0.0/21\n",
			nodes: []string{"AS3333", "AS13335", "193.0.0.0/21"},
		},
		{
			name:  "no final newline, CRLF, BOM, space",
			in:    "\ufeffAS1\r\n  AS2\t\r\n\tAS3",
			nodes: []string{"AS1", "AS2", "AS3"},
		},
		{
			name:  "comments and blank lines",
			in:    "# header comment\n\nAS1 # trailing comment\n   \n  # indented comment\nAS2#not-a-comment\n",
			nodes: []string{"AS1", "AS2#not-a-comment"},
		},
		{
			name:  "duplicates keep the first",
			in:    "AS1\nAS2\nAS1\n\nAS2\nAS1\n",
			nodes: []string{"AS1", "AS2"},
			dups:  []Duplicate{{"AS1", 3, 1}, {"AS2", 5, 2}, {"AS1", 6, 1}},
		},
		{
			name:  "invalid lines keep their numbers",
			in:    "AS1\nAS 2\nAS\x013\nAS4\n" + strings.Repeat("x", 300) + "\n\xff\xfe\n",
			nodes: []string{"AS1", "AS4"},
			invalid: []Invalid{
				{Line: 2, Reason: "space inside the ID at byte 2"},
				{Line: 3, Reason: "control character U+0001 at byte 2"},
				{Line: 5, Reason: "longer than 256 bytes"},
				{Line: 6, Reason: "not valid UTF-8"},
			},
		},
		{
			name:    "runaway line is cut, not held",
			in:      "AS1\n" + strings.Repeat("y", 1<<20) + "\nAS2\n",
			nodes:   []string{"AS1", "AS2"},
			invalid: []Invalid{{Line: 2, Reason: "longer than 256 bytes"}},
		},
		{
			name:    "custom max length",
			in:      "AS1\nAS12345\n",
			opts:    ListOptions{MaxIDLength: 5},
			nodes:   []string{"AS1"},
			invalid: []Invalid{{Line: 2, Reason: "longer than 5 bytes", Text: `"AS12345"`}},
		},
		{
			name:  "empty input",
			in:    "",
			nodes: nil,
		},
		{
			name:  "csv by index",
			in:    "1,AS1,x\n2,AS2,y\n# comment\n3,AS1,z\n",
			opts:  ListOptions{Column: "2"},
			nodes: []string{"AS1", "AS2"},
			dups:  []Duplicate{{"AS1", 4, 1}},
		},
		{
			name:  "csv by name, quoted fields, header case",
			in:    "id,Resource\n1,\" AS1 \"\n2,\"AS2\"\n",
			opts:  ListOptions{Column: "resource"},
			nodes: []string{"AS1", "AS2"},
		},
		{
			name:    "csv short row and empty cell",
			in:      "id,resource\n1\n2,\n3,AS3\n",
			opts:    ListOptions{Column: "resource"},
			nodes:   []string{"AS3"},
			invalid: []Invalid{{Line: 2, Reason: "row has 1 fields, no column 2"}, {Line: 3, Reason: "empty ID"}},
		},
		{
			name:  "csv by index with header and semicolons",
			in:    "name;asn\na;AS1\nb;AS2\n",
			opts:  ListOptions{Column: "2", Header: true, Comma: ';'},
			nodes: []string{"AS1", "AS2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ReadNodes(strings.NewReader(tt.in), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(l.Nodes, tt.nodes) {
				t.Errorf("nodes = %q, want %q", l.Nodes, tt.nodes)
			}
			if !reflect.DeepEqual(l.Duplicates, tt.dups) || l.DuplicateCount != len(tt.dups) {
				t.Errorf("duplicates = %v (%d), want %v", l.Duplicates, l.DuplicateCount, tt.dups)
			}
			if len(l.Invalid) != len(tt.invalid) || l.InvalidCount != len(tt.invalid) {
				t.Fatalf("invalid = %v (%d), want %v", l.Invalid, l.InvalidCount, tt.invalid)
			}
			for i, want := range tt.invalid {
				got := l.Invalid[i]
				if got.Line != want.Line || got.Reason != want.Reason || (want.Text != "" && got.Text != want.Text) {
					t.Errorf("invalid[%d] = %+v, want %+v", i, got, want)
				}
				if len(got.Text) > 80 {
					t.Errorf("invalid[%d] text not shortened: %d bytes", i, len(got.Text))
				}
			}
		})
	}
}

func TestReadNodesErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opts     ListOptions
		r        io.Reader
		want     string
	}{
		{name: "csv column zero", in: "a\n", opts: ListOptions{Column: "0"}, want: "columns are numbered from 1"},
		{name: "csv missing header column", in: "id,asn\n1,AS1\n", opts: ListOptions{Column: "resource"}, want: `line 1: CSV header has no column "resource"`},
		{name: "csv no header", in: "", opts: ListOptions{Column: "resource"}, want: "CSV has no header"},
		{name: "csv bad quote", in: "id,r\n1,\"AS1\n", opts: ListOptions{Column: "r"}, want: "line 2"},
		{name: "negative max", in: "a\n", opts: ListOptions{MaxIDLength: -1}, want: "negative MaxIDLength"},
		{name: "reader error", r: io.MultiReader(strings.NewReader("AS1\nAS2\n"), iotest.ErrReader(errors.New("disk gone"))), want: "line 3: disk gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			if r == nil {
				r = strings.NewReader(tt.in)
			}
			_, err := ReadNodes(r, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadNodesCapsReports(t *testing.T) {
	var b strings.Builder
	for range 3000 {
		b.WriteString("AS1\nbad id\n")
	}
	l, err := ReadNodes(strings.NewReader(b.String()), ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Nodes) != 1 || l.DuplicateCount != 2999 || l.InvalidCount != 3000 {
		t.Fatalf("nodes %d, duplicates %d, invalid %d", len(l.Nodes), l.DuplicateCount, l.InvalidCount)
	}
	if len(l.Duplicates) != maxReported || len(l.Invalid) != maxReported {
		t.Fatalf("kept %d duplicates and %d invalid, want %d each", len(l.Duplicates), len(l.Invalid), maxReported)
	}
	if last := l.Invalid[maxReported-1]; last.Line != 2*maxReported {
		t.Fatalf("last kept invalid on line %d, want %d", last.Line, 2*maxReported)
	}
}

func FuzzReadNodes(f *testing.F) {
	f.Add("AS1\nAS 2\n# c\nAS1\n")
	f.Add("\ufeffa\r\nb # c\n\n\xff")
	f.Fuzz(func(t *testing.T, in string) {
		l, err := ReadNodes(strings.NewReader(in), ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, n := range l.Nodes {
			if seen[n] {
				t.Fatalf("duplicate %q kept", n)
			}
			seen[n] = true
			if checkID([]byte(n), DefaultMaxIDLength) != "" || strings.ContainsAny(n, "\n\r") {
				t.Fatalf("invalid node %q kept", n)
			}
		}
		lines := strings.Count(in, "\n") + 1
		for _, iv := range l.Invalid {
			if iv.Line < 1 || iv.Line > lines {
				t.Fatalf("invalid on line %d of %d", iv.Line, lines)
			}
		}
	})
}

func ExampleReadNodes() {
	in := "# nightly list\nAS3333\nAS13335 # cloudflare\nAS3333\nAS 64500\n"
	l, _ := ReadNodes(strings.NewReader(in), ListOptions{})
	fmt.Println(l.Nodes)
	for _, d := range l.Duplicates {
		fmt.Printf("line %d: duplicate of line %d: %s\n", d.Line, d.FirstLine, d.Node)
	}
	for _, iv := range l.Invalid {
		fmt.Println(iv)
	}
	// Output:
	// [AS3333 AS13335]
	// line 4: duplicate of line 2: AS3333
	// line 5: space inside the ID at byte 2: "AS 64500"
}
