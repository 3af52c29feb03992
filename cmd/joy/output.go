package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gojoy/libjoy/joy"
	"github.com/gojoy/libjoy/joy/format"
	"github.com/gojoy/libjoy/joy/jsonw"
	"github.com/gojoy/libjoy/joy/logx"
	"github.com/gojoy/libjoy/joy/record"
	"github.com/gojoy/libjoy/joy/registry"
)

// sink is the records' destination: standard output or a file, rotated
// every count records (a new file, with its own configuration line),
// each closed file handed to the uploader. It adds the "source" member
// when asked.
type sink struct {
	// mu makes Write, reopen and close one at a time: the contexts of a
	// live capture with threads=N share the sink, each writing whole
	// records.
	mu sync.Mutex

	s      *settings
	stdout io.Writer
	log    *logx.Logger
	ifname string

	w       io.Writer
	closeFn func() error
	path    string // the current file; "" for standard output
	seq     int
	inFile  uint64 // records in the current file

	// configLines counts the configuration lines written (one per file).
	configLines uint64

	source  []byte // `,"source":"<name>"}` + "\n" when source=1
	scratch []byte

	up *uploader
}

// newSink opens the first output. ifname is the capture interface, whose
// MAC address output=auto names files with ("" : the first suitable one).
func newSink(s *settings, stdout io.Writer, ifname string, log *logx.Logger) (*sink, error) {
	k := &sink{s: s, stdout: stdout, log: log, ifname: ifname, configLines: 1}
	if s.upload != "" {
		k.up = newUploader(s, log)
	}
	if k.up != nil && !s.retain {
		k.queueLeftovers()
	}
	if err := k.open(); err != nil {
		return nil, err
	}
	return k, nil
}

// queueLeftovers queues the output files an earlier run left in outdir:
// without retain=1, a file is only left when its upload failed, so these
// are uploaded first (nothing is lost across restarts).
func (k *sink) queueLeftovers() {
	s := k.s
	dir := s.cfg.OutputDir
	name := s.cfg.Output
	pattern := "flocap-*"
	if name != "auto" {
		if s.count == 0 {
			return // one fixed name: the new run writes it again
		}
		dir = filepath.Dir(outputPath(dir, name))
		pattern = strings.Replace(filepath.Base(numbered(name, 0)), "-00000", "-[0-9][0-9][0-9][0-9][0-9]*", 1)
	}
	if dir == "" {
		dir = "."
	}
	old, _ := filepath.Glob(filepath.Join(dir, pattern))
	sort.Strings(old)
	for _, p := range old {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			k.log.Always("upload: %s was left by an earlier run; uploading it first", p)
			k.up.add(p)
		}
	}
}

// nextPath names the next output file.
func (k *sink) nextPath() (string, bool, error) {
	s := k.s
	name := s.cfg.Output
	switch {
	case name == "":
		return "", false, nil
	case name == "auto":
		mac, err := macAddress(k.ifname)
		if err != nil {
			return "", false, err
		}
		return outputPath(s.cfg.OutputDir, autoName(mac, time.Now())), true, nil
	case s.count > 0:
		return outputPath(s.cfg.OutputDir, numbered(name, k.seq)), true, nil
	}
	return outputPath(s.cfg.OutputDir, name), false, nil
}

// autoName is the original's output=auto file name: flocap-<MAC as 12
// hex digits>-<local time YYYYMMDDhhmmss>. (The original added ".gz" when
// built with compression; here a name without .gz is plain JSON.)
func autoName(mac string, t time.Time) string {
	return fmt.Sprintf("flocap-%s-%s", mac, t.Format("20060102150405"))
}

// numbered is the name of the seq-th file of output=name with count=C:
// flows.json.gz gives flows-00001.json.gz, flows-00002.json.gz, ...
func numbered(name string, seq int) string {
	dir, base := filepath.Split(name)
	stem, ext := base, ""
	if i := strings.IndexByte(base[1:], '.'); i >= 0 {
		stem, ext = base[:i+1], base[i+1:]
	}
	return fmt.Sprintf("%s%s-%05d%s", dir, stem, seq, ext)
}

func (k *sink) open() error {
	k.seq++
	path, exclusive, err := k.nextPath()
	if err != nil {
		return err
	}
	w, closeFn, err := openOutput(k.stdout, path, exclusive, k.s.cfg.Format)
	for n := 1; err != nil && errors.Is(err, fs.ErrExist) && k.s.cfg.Output == "auto" && n < 100; n++ {
		// Two rotations within one second: the same auto name.
		w, closeFn, err = openOutput(k.stdout, fmt.Sprintf("%s-%d", path, n), true, k.s.cfg.Format)
		if err == nil {
			path = fmt.Sprintf("%s-%d", path, n)
		}
	}
	for err != nil && errors.Is(err, fs.ErrExist) && k.s.cfg.Output != "auto" && k.seq < 1e6 {
		// Numbered files of an earlier run (kept, or not yet uploaded)
		// are never overwritten: take the next free number.
		k.seq++
		path, _, _ = k.nextPath()
		w, closeFn, err = openOutput(k.stdout, path, true, k.s.cfg.Format)
	}
	if err != nil {
		return err
	}
	k.w, k.closeFn, k.path = w, closeFn, path
	k.log.Logf(logx.Info, "output file: %s", path)
	return nil
}

// rotate closes the current file (queued for upload) and opens the next
// one, which starts with its own configuration line.
func (k *sink) rotate() error {
	old := k.path
	if err := k.closeFn(); err != nil {
		k.log.Logf(logx.Err, "output: closing %s: %v", old, err)
	} else if k.up != nil {
		k.up.add(old)
	}
	k.inFile = 0
	if err := k.open(); err != nil {
		k.w, k.closeFn = joy.FailedOutput(err), func() error { return nil }
		return err
	}
	k.configLines++
	_, err := k.w.Write(registry.AppendConfigJSON(nil, &k.s.cfg))
	return err
}

// reopen (SIGHUP) closes the output file, hands it to the uploader and
// opens the next one (the same name when it is fixed, for logrotate),
// which starts with its own configuration line. Standard output stays.
func (k *sink) reopen() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.path == "" {
		return nil
	}
	return k.rotate()
}

// close closes the current output and hands it to the uploader.
func (k *sink) close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	err := k.closeFn()
	if err == nil && k.up != nil && k.path != "" {
		k.up.add(k.path)
	}
	return err
}

// finishUploads waits for the uploads (bounded by upload_wait) and
// returns how many files are left, kept locally.
func (k *sink) finishUploads() int {
	if k.up == nil {
		return 0
	}
	return k.up.finish(time.Duration(k.s.uploadWait) * time.Second)
}

// setSource names the capture whose records follow (source=1).
func (k *sink) setSource(name string) {
	if !k.s.source {
		return
	}
	b := jsonw.Key(append(k.source[:0], ','), "source")
	b = jsonw.String(b, name)
	k.source = append(b, "}\n"...)
}

// Write writes whole records (the context gathers them). With count=C,
// a file takes exactly C records and the next record opens the next
// file. With source=1, each flow record gets the source member last.
func (k *sink) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.rotatesByCount() {
		return k.write(p)
	}
	done := 0
	for done < len(p) {
		if k.inFile >= uint64(k.s.count) {
			if err := k.rotate(); err != nil {
				return done, err
			}
		}
		// Take up to the quota of record lines.
		end, n := done, uint64(0)
		for end < len(p) && k.inFile+n < uint64(k.s.count) {
			i := bytes.IndexByte(p[end:], '\n')
			if i < 0 {
				end = len(p)
				break
			}
			if !bytes.HasPrefix(p[end:], []byte(`{"version":`)) {
				n++
			}
			end += i + 1
		}
		w, err := k.write(p[done:end])
		if err != nil {
			return done + w, err
		}
		k.inFile += n
		done = end
	}
	return done, nil
}

// TakesRows implements format.RowWriter: the records reach a Parquet or
// CSV output as typed rows unless the source member is to be added to
// their text.
func (k *sink) TakesRows() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	rw, ok := k.w.(format.RowWriter)
	return ok && rw.TakesRows() && !k.s.source
}

// WriteRows implements format.RowWriter, rotating like Write.
func (k *sink) WriteRows(rows []record.Flow) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	var line []byte
	for len(rows) > 0 {
		n := len(rows)
		if k.rotatesByCount() {
			if k.inFile >= uint64(k.s.count) {
				if err := k.rotate(); err != nil {
					return err
				}
			}
			n = min(n, int(uint64(k.s.count)-k.inFile))
		}
		var err error
		if rw, ok := k.w.(format.RowWriter); ok && rw.TakesRows() {
			err = rw.WriteRows(rows[:n])
		} else { // a failed reopen: the output's own error
			for i := 0; i < n && err == nil; i++ {
				line = rows[i].AppendJSON(line[:0])
				_, err = k.w.Write(line)
			}
		}
		if err != nil {
			return err
		}
		if k.s.count > 0 {
			k.inFile += uint64(n)
		}
		rows = rows[n:]
	}
	return nil
}

// KeepsRows implements format.RowKeeper: a context hands its rows over
// whenever the sink takes rows.
func (k *sink) KeepsRows() bool { return k.TakesRows() }

// KeepRows implements format.RowKeeper: the output keeps the rows when it
// can (Parquet, without rotation by count, whose files a batch may span);
// otherwise they are written now and released.
func (k *sink) KeepRows(rows []record.Flow, release func()) error {
	k.mu.Lock()
	if rk, ok := k.w.(format.RowKeeper); ok && rk.KeepsRows() && !k.rotatesByCount() {
		defer k.mu.Unlock()
		return rk.KeepRows(rows, release)
	}
	k.mu.Unlock()
	defer release()
	return k.WriteRows(rows)
}

// rotatesByCount reports whether a new file starts after count records
// (count=N with an output file).
func (k *sink) rotatesByCount() bool { return k.s.count > 0 && k.path != "" }

// write writes whole lines, adding the source member when asked.
func (k *sink) write(p []byte) (int, error) {
	if k.source == nil {
		return k.w.Write(p)
	}
	in := p
	b := k.scratch[:0]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b = append(b, p...)
			break
		}
		line := p[:i+1]
		p = p[i+1:]
		if i > 0 && line[i-1] == '}' && !bytes.HasPrefix(line, []byte(`{"version":`)) {
			b = append(b, line[:i-1]...)
			b = append(b, k.source...)
		} else {
			b = append(b, line...)
		}
	}
	k.scratch = b
	n, err := k.w.Write(b)
	if err == nil {
		return len(in), nil
	}
	// Report how much of the caller's text went out, in whole lines.
	lines := bytes.Count(b[:max(0, min(n, len(b)))], []byte{'\n'})
	off := 0
	for ; lines > 0; lines-- {
		off += bytes.IndexByte(in[off:], '\n') + 1
	}
	return off, err
}

// macAddress is the MAC address of interface name (or of the first
// suitable interface) as 12 lowercase hex digits, as output=auto names
// files.
func macAddress(name string) (string, error) {
	ifs := suitableInterfaces()
	for _, i := range ifs {
		if (name == "" || name == "auto" || i.Name == name) && len(i.HardwareAddr) == 6 {
			return fmt.Sprintf("%012x", []byte(i.HardwareAddr)), nil
		}
	}
	if name == "" || name == "auto" {
		return "000000000000", nil
	}
	return "", fmt.Errorf("output=auto: no interface %q", name)
}
