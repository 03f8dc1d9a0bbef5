package report

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/bench/units"
)

// Machine describes the computer a benchmark ran on.
type Machine struct {
	CPU        string `json:"cpu"`        // model name, "" when unknown
	Cores      int    `json:"cores"`      // logical CPUs
	GOMAXPROCS int    `json:"gomaxprocs"` // as the benchmark ran
	MemBytes   int64  `json:"mem_bytes"`  // total RAM, 0 when unknown
	Kernel     string `json:"kernel"`     // OS release, "" when unknown
	GoVersion  string `json:"go_version"` // of the binary that measured
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
}

// ThisMachine describes the machine this process runs on, from
// /proc/cpuinfo, /proc/meminfo and the runtime.
func ThisMachine() Machine {
	m := Machine{
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPU = procField(data, "model name")
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if f := strings.Fields(procField(data, "MemTotal")); len(f) == 2 && f[1] == "kB" {
			kib, _ := strconv.ParseInt(f[0], 10, 64)
			m.MemBytes = kib << 10
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}

// procField returns the value of the first "key : value" line of a /proc
// file, or "".
func procField(data []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// String is one line for a report: "AMD EPYC, 2 cores, 23.5 GiB RAM,
// go1.26.8 linux/amd64".
func (m Machine) String() string {
	var b strings.Builder
	cpu := m.CPU
	if cpu == "" {
		cpu = "unknown CPU"
	}
	b.WriteString(cpu)
	b.WriteString(", " + strconv.Itoa(m.Cores) + " cores")
	if m.GOMAXPROCS != 0 && m.GOMAXPROCS != m.Cores {
		b.WriteString(" (GOMAXPROCS " + strconv.Itoa(m.GOMAXPROCS) + ")")
	}
	if m.MemBytes > 0 {
		b.WriteString(", " + units.FormatSize(m.MemBytes) + " RAM")
	}
	b.WriteString(", " + m.GoVersion + " " + m.GOOS + "/" + m.GOARCH)
	if m.Kernel != "" {
		b.WriteString(", kernel " + m.Kernel)
	}
	return b.String()
}
