package record

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Version is the index and metadata format this package writes. Open
// reads folders of this version and older ones.
const Version = 1

// Names of the files of a folder.
const (
	IndexFile = "index.json"
	NodesDir  = "nodes"
	metaExt   = ".json"
	bodyExt   = ".body.zst"
	tmpExt    = ".tmp"
)

// End says how an attempt ended; see the package doc.
type End string

// The ways an attempt can end.
const (
	EndComplete    End = "complete"
	EndCut         End = "cut"
	EndReset       End = "reset"
	EndStall       End = "stall"
	EndTimeout     End = "timeout"
	EndClosed      End = "closed"
	EndError       End = "error"
	EndInterrupted End = "interrupted"
)

func (e End) valid() bool {
	switch e {
	case EndComplete, EndCut, EndReset, EndStall, EndTimeout, EndClosed, EndError, EndInterrupted:
		return true
	}
	return false
}

// Attempt is the metadata of one recorded request and its answer. It is
// what DIR/nodes/<name>/<seq>.json holds.
type Attempt struct {
	Node string `json:"node"`
	Seq  int    `json:"seq"` // 1-based, in the order the attempts of Node were sent

	Start  time.Time   `json:"start"`  // when the request was sent
	Method string      `json:"method"` //
	URL    string      `json:"url"`    // redacted
	ReqHdr http.Header `json:"request_header,omitempty"`

	Status int         `json:"status"` // 0: no response arrived
	Proto  string      `json:"proto,omitempty"`
	Header http.Header `json:"header,omitempty"` // response header (secret-named fields redacted)

	TTFB  Duration `json:"ttfb"`  // request sent to response headers
	Total Duration `json:"total"` // request sent to the end of the attempt
	End   End      `json:"end"`
	Err   string   `json:"error,omitempty"` // the error that ended it (redacted), if any
	Idle  Duration `json:"idle,omitempty"`  // last byte to the end, for EndStall and EndTimeout

	BodyBytes int64  `json:"body_bytes"`          // body bytes received, as on the wire
	BodyFile  string `json:"body_file,omitempty"` // name of the body file beside this one; "": no body
	BodyZstd  int64  `json:"body_zstd_bytes,omitempty"`

	// Pace samples when the body's bytes arrived (at most maxPace points,
	// evenly thinned), for serving at the recorded pace.
	Pace []PacePoint `json:"pace,omitempty"`
}

// PacePoint says that Bytes body bytes had arrived At after the headers.
type PacePoint struct {
	At    Duration `json:"at"`
	Bytes int64    `json:"bytes"`
}

// maxPace bounds Attempt.Pace; one point per paceStep at most.
const (
	maxPace  = 512
	paceStep = 20 * time.Millisecond
)

// check validates what replay relies on.
func (a *Attempt) check() error {
	switch {
	case a.Node == "":
		return errors.New("no node")
	case a.Seq < 1:
		return fmt.Errorf("seq %d", a.Seq)
	case !a.End.valid():
		return fmt.Errorf("unknown end %q", a.End)
	case a.Status != 0 && (a.Status < 100 || a.Status > 999):
		return fmt.Errorf("status %d", a.Status)
	case a.BodyBytes < 0:
		return fmt.Errorf("body_bytes %d", a.BodyBytes)
	case a.BodyBytes > 0 && a.BodyFile == "":
		return fmt.Errorf("%d body bytes but no body file", a.BodyBytes)
	}
	return nil
}

// Duration is a time.Duration written as a string ("1.5s") in JSON.
type Duration time.Duration

// MarshalText writes d like time.Duration.String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Index is what DIR/index.json holds.
type Index struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Closed is true once the recorder was closed: the node list is
	// complete. A folder of a killed run has Closed false; Open then
	// lists the attempts from the files themselves.
	Closed bool `json:"closed"`
	// Incomplete is the first error the recorder met writing the
	// folder (a full disk, a file in the way); "": none. Attempts it
	// could not write are missing.
	Incomplete string `json:"incomplete,omitempty"`
	// Template is the run's URL template (redacted), for ByNode.
	Template string `json:"template,omitempty"`
	// Vars are the template's variables, secret-named ones redacted.
	Vars map[string]string `json:"vars,omitempty"`
	// Redact are the run's own secret names (scrape.Secrets.Names, the
	// --redact flags) on top of the built-in ones: ByRequest redacts a
	// request with them as the recorder redacted the recorded URLs.
	Redact []string `json:"redact,omitempty"`
	// Params are the job's parameters as the recording program saw them
	// (sluice: the command, the extraction flags, the client's options).
	Params map[string]string `json:"params,omitempty"`
	Nodes  []NodeEntry       `json:"nodes,omitempty"`
}

// NodeEntry lists one node's attempts in the index.
type NodeEntry struct {
	Node     string       `json:"node"`
	Dir      string       `json:"dir"` // under DIR/nodes
	Attempts []AttemptRef `json:"attempts"`
}

// AttemptRef is an attempt's line in the index.
type AttemptRef struct {
	Seq    int    `json:"seq"`
	Status int    `json:"status"`
	End    End    `json:"end"`
	Bytes  int64  `json:"bytes"`
	Err    string `json:"error,omitempty"`
}

// Errors callers branch on.
var (
	// ErrNotRecorded: a request has no recorded attempt left.
	ErrNotRecorded = errors.New("record: no recorded exchange for this request")
	// ErrLegacyFolder: the folder holds bodies of the old --capture
	// flag (one body per node, no exchanges).
	ErrLegacyFolder = errors.New("record: folder holds old --capture bodies, not recorded exchanges")
	// ErrNewerVersion: the folder was written by a newer sluice.
	ErrNewerVersion = errors.New("record: folder written by a newer format")
)
