package main

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// username=nobody as root: the input (in a directory only root can read)
// is opened first, then joy runs as nobody, and the output files, created
// afterwards, belong to nobody and hold the same records.
func TestUsernameNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (CI runs as root)")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	private := t.TempDir()
	os.Chmod(private, 0o700)
	in := filepath.Join(private, "in.pcap")
	copyFile(t, pcap(t, "ndpi-android.pcap"), in)
	out, err := os.MkdirTemp("", "joy-nobody") // t.TempDir's parents are closed to nobody
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(out) })
	os.Chmod(out, 0o755)
	os.Chown(out, uid, gid)

	want := joyRun(t, nil, "", "bidir=1", "count=30", "output=f.json", "outdir="+t.TempDir(), in)
	r := joyRun(t, nil, "", "bidir=1", "username=nobody", "count=30", "output=f.json", "outdir="+out, in)
	if r.code != 0 || want.code != 0 || !strings.Contains(r.stderr, "changed user to 'nobody'") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	files := listDir(t, out)
	if len(files) != 3 {
		t.Fatalf("files %v, want 3", files)
	}
	for _, f := range files {
		st, err := os.Stat(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if s := st.Sys().(*syscall.Stat_t); int(s.Uid) != uid {
			t.Errorf("%s belongs to uid %d, want nobody (%d)", f, s.Uid, uid)
		}
		b, _ := os.ReadFile(filepath.Join(out, f))
		if !strings.Contains(string(b), `"username":"nobody"`) {
			t.Errorf("%s: configuration line without the user name", f)
		}
	}
	// Output files are created as nobody: a directory nobody cannot write
	// to is an error before any record.
	if r := joyRun(t, nil, "", "bidir=1", "username=nobody", "output=f.json", "outdir="+t.TempDir(), in); r.code != 1 ||
		!strings.Contains(r.stderr, "permission denied") {
		t.Errorf("output directory not writable by nobody: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := joyRun(t, nil, "", "username=nosuchuser-joy", in); r.code != 1 || !strings.Contains(r.stderr, "username=nosuchuser-joy") || r.stdout != "" {
		t.Errorf("unknown user: exit %d, stderr %q", r.code, r.stderr)
	}
}
