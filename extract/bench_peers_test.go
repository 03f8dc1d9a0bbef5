package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/buger/jsonparser"
	jsoniter "github.com/json-iterator/go"
)

// The two fastest Go peers measured on RIPEstat bodies, beside
// Decoder.Token in BenchmarkExtract: buger/jsonparser (the whole body in
// memory) and json-iterator's streaming Iterator (memory-bounded, as
// stream mode is). They live in test files only, so the sluice binary does
// not link them. Both emit data.updates[*].timestamp as sel 0 and status
// as sel 1; jsonparser hands strings over without their quotes, which
// ParseTimestamp takes as bare text.

// jsonparserWalk finds the values with jsonparser.ArrayEach and Get.
func jsonparserWalk(body []byte, emit EmitFunc) error {
	var emitErr error
	_, err := jsonparser.ArrayEach(body, func(v []byte, _ jsonparser.ValueType, _ int, err error) {
		if err != nil || emitErr != nil {
			return
		}
		ts, _, _, err := jsonparser.Get(v, "timestamp")
		if err == nil {
			emitErr = emit(0, ts)
		}
	}, "data", "updates")
	if err != nil {
		return fmt.Errorf("jsonparser: %w", err)
	}
	if emitErr != nil {
		return emitErr
	}
	status, _, _, err := jsonparser.Get(body, "status")
	if err != nil {
		return fmt.Errorf("jsonparser: status: %w", err)
	}
	return emit(1, status)
}

// jsoniterWalk reads r through a jsoniter.Iterator with a 64 KiB buffer,
// skipping what is not on the two paths.
func jsoniterWalk(r io.Reader, emit EmitFunc) error {
	it := jsoniter.Parse(jsoniter.ConfigDefault, r, DefaultBufferSize)
	var err error
	for k := it.ReadObject(); k != "" && err == nil; k = it.ReadObject() {
		switch k {
		case "status":
			err = emit(1, it.SkipAndReturnBytes())
		case "data":
			for k := it.ReadObject(); k != "" && err == nil; k = it.ReadObject() {
				if k != "updates" {
					it.Skip()
					continue
				}
				for it.ReadArray() && err == nil {
					for k := it.ReadObject(); k != "" && err == nil; k = it.ReadObject() {
						if k == "timestamp" {
							err = emit(0, it.SkipAndReturnBytes())
						} else {
							it.Skip()
						}
					}
				}
			}
		default:
			it.Skip()
		}
	}
	if err != nil {
		return err
	}
	if it.Error != nil && !errors.Is(it.Error, io.EOF) {
		return fmt.Errorf("jsoniter: %w", it.Error)
	}
	return nil
}

// peerExtractors are the peers in the shape extractors() lists.
func peerExtractors() []struct {
	name string
	run  func(body []byte, emit EmitFunc) error
	err  error
} {
	return []struct {
		name string
		run  func(body []byte, emit EmitFunc) error
		err  error
	}{
		{name: "jsonparser", run: jsonparserWalk},
		{name: "jsoniter", run: func(body []byte, emit EmitFunc) error { return jsoniterWalk(bytes.NewReader(body), emit) }},
	}
}
