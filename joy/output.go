package joy

import (
	"errors"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrOutputRemoved is the write error of an output file whose last name
// was removed while it was open (for example its directory was deleted).
// The kernel still accepts the writes, but nobody can read them back, so
// the records are counted as lost like those of any failed write.
var ErrOutputRemoved = errors.New("the output file was removed while open (no name left): records written to it cannot be read back")

// ErrOutputClosed is what a writer for a closed standard output returns.
var ErrOutputClosed = errors.New("standard output is closed")

// removalCheckEvery bounds how often an output is checked for removal: one
// fstat per interval, whatever the write rate.
const removalCheckEvery = 100 * time.Millisecond

// RemovalWatch notices that the regular file behind a descriptor has lost
// its last name. It is safe for concurrent use.
type RemovalWatch struct {
	fd   int
	last atomic.Int64 // UnixNano of the last check
	gone atomic.Bool
}

// NewRemovalWatch watches fd; it never closes it.
func NewRemovalWatch(fd int) *RemovalWatch { return &RemovalWatch{fd: fd} }

// Removed reports whether the file has no name left. Unless force is set
// it looks at the file at most once per removalCheckEvery and otherwise
// answers from the last look. Pipes, terminals and devices are never
// "removed".
func (w *RemovalWatch) Removed(force bool) bool {
	if w == nil {
		return false
	}
	if w.gone.Load() {
		return true
	}
	now := time.Now().UnixNano()
	last := w.last.Load()
	if !force && now-last < int64(removalCheckEvery) {
		return false
	}
	if !w.last.CompareAndSwap(last, now) && !force {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(w.fd, &st); err != nil {
		return false
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFREG && st.Nlink == 0 {
		w.gone.Store(true)
		return true
	}
	return false
}

// File is an output file (or standard output) whose writes also fail when
// the file has been removed, so that a deleted output directory is noticed
// and counted instead of silently swallowing the records.
type File struct {
	f     *os.File
	watch *RemovalWatch
}

// NewFile returns a File writing to f.
func NewFile(f *os.File) *File {
	return &File{f: f, watch: NewRemovalWatch(int(f.Fd()))}
}

// Write writes p; after the write it reports ErrOutputRemoved if the file
// has no name left.
func (o *File) Write(p []byte) (int, error) {
	n, err := o.f.Write(p)
	if err == nil && o.watch.Removed(false) {
		err = ErrOutputRemoved
	}
	return n, err
}

// Removed reports, after looking at the file now, whether it was removed.
func (o *File) Removed() bool { return o.watch.Removed(true) }

// failedWriter is an output that cannot be written at all.
type failedWriter struct{ err error }

func (w failedWriter) Write([]byte) (int, error) { return 0, w.err }

// FailedOutput returns a writer whose every write fails with err: records
// sent to it are counted as lost like those of any failed write.
func FailedOutput(err error) io.Writer { return failedWriter{err} }
