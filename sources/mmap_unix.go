//go:build unix

package sources

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the file read-only for the reader. The mapping is private and
// writable so that an in-place change (Arrow byte swapping) never reaches the file
// nor faults; it outlives f, which the caller may close.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size <= 0 {
		return nil, func() error { return nil }, nil
	}
	if int64(int(size)) != size {
		return nil, nil, fmt.Errorf("mmap: file of %d bytes too large", size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
