package batch

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Memory is a process's resident memory as the kernel accounts it.
type Memory struct {
	RSS  int64 // current resident set size, bytes (VmRSS)
	Peak int64 // peak resident set size since start, bytes (VmHWM)
}

// ReadMemory reads the current process's memory from /proc/self/status.
// On systems without /proc it returns an error; progress then shows no RSS.
func ReadMemory() (Memory, error) { return ReadProcMemory("/proc/self/status") }

// ReadProcMemory reads VmRSS and VmHWM from a /proc/PID/status file, so a
// test can read a child process's own accounting.
func ReadProcMemory(path string) (Memory, error) {
	f, err := os.Open(path)
	if err != nil {
		return Memory{}, fmt.Errorf("batch: read memory: %w", err)
	}
	defer f.Close()
	m, err := parseStatus(f)
	if err != nil {
		return Memory{}, fmt.Errorf("batch: read memory: %s: %w", path, err)
	}
	return m, nil
}

// parseStatus picks VmRSS and VmHWM ("VmRSS:\t  1234 kB") out of a
// /proc/PID/status text.
func parseStatus(r io.Reader) (Memory, error) {
	var m Memory
	var haveRSS, havePeak bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *int64
		switch string(key) {
		case "VmRSS":
			dst, haveRSS = &m.RSS, true
		case "VmHWM":
			dst, havePeak = &m.Peak, true
		default:
			continue
		}
		f := bytes.Fields(val)
		if len(f) != 2 || string(f[1]) != "kB" {
			return Memory{}, fmt.Errorf("%s: unexpected value %q", key, val)
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("%s: %w", key, err)
		}
		*dst = kb << 10
	}
	if err := sc.Err(); err != nil {
		return Memory{}, err
	}
	if !haveRSS || !havePeak {
		return Memory{}, fmt.Errorf("no VmRSS or VmHWM line")
	}
	return m, nil
}
