package joy

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

func TestFiles45Name(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.Local)
	if got, want := Files45Name("out/joy-output.ctx1", 3, at), "out/joy-output.ctx1-03-20260304050607.gz"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := Files45Name("x", 123, at), "x-123-20260304050607.gz"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := ContextBase45("d/", "joy-output", 0, 1), "d/joy-output"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := ContextBase45("d/", "f", 2, 3), "d/f.ctx2"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// A file is rotated after the print that brings it to max records, the
// sequence is shared, an existing file is never overwritten, and a file
// that cannot be opened leaves the records in the current one.
func TestFiles45Rotation(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.Local)
	now := func() time.Time { return at }
	var seq atomic.Uint32
	base := filepath.Join(dir, "out")
	// A file that exists with the first name: skipped, left alone.
	if err := os.WriteFile(Files45Name(base, 1, at), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := OpenFiles45(base, 3, &seq, now)
	if err != nil {
		t.Fatal(err)
	}
	first := o.Name()
	if want := Files45Name(base, 2, at); first != want {
		t.Fatalf("first file %s, want %s", first, want)
	}
	write := func(lines ...string) {
		for _, l := range lines {
			if _, err := o.Write([]byte(l + "\n")); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("r1", "r2")
	if rot, err := o.Printed(2); rot || err != nil {
		t.Fatalf("rotated at 2 of 3 records: %v %v", rot, err)
	}
	write("r3", "r4")
	rot, err := o.Printed(4)
	if !rot || err != nil {
		t.Fatalf("not rotated at 4 of 3 records: %v %v", rot, err)
	}
	second := o.Name()
	if want := Files45Name(base, 3, at); second != want {
		t.Fatalf("second file %s, want %s", second, want)
	}
	write("config", "r5")
	// The directory goes away: the next file cannot be opened, records
	// stay in the second one.
	blocked := filepath.Join(dir, "gone")
	o.base = filepath.Join(blocked, "out")
	write("r6", "r7")
	if rot, err := o.Printed(7); rot || err == nil || !strings.Contains(err.Error(), second) {
		t.Fatalf("open of a file in a missing directory: rotated %v, error %v", rot, err)
	}
	write("r8")
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if got := gunzip(t, first); got != "r1\nr2\nr3\nr4\n" {
		t.Errorf("first file holds %q", got)
	}
	if got := gunzip(t, second); got != "config\nr5\nr6\nr7\nr8\n" {
		t.Errorf("second file holds %q", got)
	}
	if b, _ := os.ReadFile(Files45Name(base, 1, at)); string(b) != "keep" {
		t.Errorf("existing file overwritten: %q", b)
	}
	if o.Close() != nil {
		t.Error("second Close failed")
	}
}

// joy_initialize's output_dir and output_file under 4.5's rules.
func TestOutputNames45(t *testing.T) {
	long := strings.Repeat("d", MaxDirnameLen45)
	for _, tc := range []struct{ dir, file, wantDir, wantName string }{
		{"", "", "./", "joy-output"},
		{"/tmp", "out", "/tmp/", "out"},
		{"/tmp/", "out", "/tmp/", "out"},
		{long, "out", "./", "out"},
		{long[1:], "out", long[1:] + "/", "out"},
		{"/tmp", strings.Repeat("f", MaxFilenameLen-5-16), "/tmp/", strings.Repeat("f", MaxFilenameLen-5-16)},
		{"/tmp", strings.Repeat("f", MaxFilenameLen-5-15), "/tmp/", "joy-output"},
	} {
		dir, name := OutputNames45(tc.dir, tc.file)
		if dir != tc.wantDir || name != tc.wantName {
			t.Errorf("OutputNames45(%.20q, %.20q) = %.20q, %.20q; want %.20q, %.20q", tc.dir, tc.file, dir, name, tc.wantDir, tc.wantName)
		}
	}
	h, err := os.ReadFile("../include/joy4/joy_api.h")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(h), "#define MAX_DIRNAME_LEN 256\n") || !strings.Contains(string(h), "#define MAX_FILENAME_LEN 1024\n") || MaxDirnameLen45 != 256 || MaxFilenameLen != 1024 {
		t.Errorf("MAX_DIRNAME_LEN/MAX_FILENAME_LEN of include/joy4/joy_api.h differ from MaxDirnameLen45 %d, MaxFilenameLen %d", MaxDirnameLen45, MaxFilenameLen)
	}
}
