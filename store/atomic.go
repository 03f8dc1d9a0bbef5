package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// errCrash is wrapped by errors that a test hook injected: the caller
// must leave the folder as a killed process would.
var errCrash = errors.New("injected crash")

// stepFunc is called between the steps of a commit. Tests use it to stop
// a commit at every step; in production it is nil.
type stepFunc func(step string) error

func (h stepFunc) at(step string) error {
	if h == nil {
		return nil
	}
	if err := h(step); err != nil {
		return fmt.Errorf("%s: %w: %w", step, errCrash, err)
	}
	return nil
}

// writeFile writes data to dir/name through a temporary file in dir that
// is fsynced, then renamed into place. The caller fsyncs dir.
func writeFile(dir, name string, data []byte, hook stepFunc) error {
	f, err := os.CreateTemp(dir, tempPrefix+name+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = hook.at("write " + name + ": temp synced"); err != nil {
			return err // a killed process leaves its temp file behind
		}
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return hook.at("write " + name + ": renamed")
}

// syncDir fsyncs a directory so that renames and removals in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// fileSHA256 hashes a file without holding it in memory. A missing file
// is reported with an error for which errors.Is(err, fs.ErrNotExist).
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
