package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sshServer is a real OpenSSH server on 127.0.0.1 with its own host and
// user keys, and the ssh_config a client needs to reach it.
type sshServer struct {
	t      *testing.T
	dir    string
	port   int
	cmd    *exec.Cmd
	config string // ssh_config for scp -F
	key    string // the user's private key
	remote string // directory the uploads go to
	log    strings.Builder
}

func newSSHServer(t *testing.T) *sshServer {
	t.Helper()
	if testing.Short() {
		t.Skip("not with -short: starts an OpenSSH server and uploads for about 30 s")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run sshd (CI runs as root)")
	}
	for _, tool := range []string{"/usr/sbin/sshd", "scp", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install openssh-server openssh-client): %v", tool, err)
		}
	}
	dir := t.TempDir()
	s := &sshServer{t: t, dir: dir, remote: filepath.Join(dir, "remote")}
	os.Mkdir(s.remote, 0o755)
	for _, k := range []string{"host", "user"} {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
	}
	s.key = filepath.Join(dir, "user")
	copyFile(t, s.key+".pub", filepath.Join(dir, "authorized_keys"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation directory
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s/host
AuthorizedKeysFile %s/authorized_keys
PidFile %s/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
`, s.port, dir, dir, dir)), 0o600)
	hostPub, _ := os.ReadFile(filepath.Join(dir, "host.pub"))
	os.WriteFile(filepath.Join(dir, "known_hosts"), append([]byte("joytest "), hostPub...), 0o600)
	s.config = filepath.Join(dir, "ssh_config")
	os.WriteFile(s.config, []byte(fmt.Sprintf(`Host joytest
  HostName 127.0.0.1
  Port %d
  User root
  HostKeyAlias joytest
  UserKnownHostsFile %s/known_hosts
  StrictHostKeyChecking yes
  IdentitiesOnly yes
  ConnectTimeout 5
`, s.port, dir)), 0o600)
	s.start()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("sshd's log:\n%s", s.log.String())
		}
	})
	return s
}

func (s *sshServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", filepath.Join(s.dir, "sshd_config"))
	s.cmd.Stderr = &s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("sshd: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("sshd did not listen on port %d: %v", s.port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *sshServer) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s.cmd = nil
}

func (s *sshServer) args() []string {
	return []string{"upload=joytest:" + s.remote + "/", "keyfile=" + s.key, "upload_config=" + s.config}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// Rotation and upload against a real OpenSSH server: every rotated file
// arrives whole and in full; with retain=0 the local copies go, with
// retain=1 they stay.
func TestUploadRetain(t *testing.T) {
	in := pcap(t, "ndpi-android.pcap")
	srv := newSSHServer(t)
	_, all := records(t, joyRun(t, nil, "", "bidir=1", in).stdout)
	for _, retain := range []string{"0", "1"} {
		t.Run("retain="+retain, func(t *testing.T) {
			os.RemoveAll(srv.remote)
			os.Mkdir(srv.remote, 0o755)
			out := t.TempDir()
			args := append(srv.args(), "bidir=1", "count=10", "retain="+retain, "outdir="+out, "output=flows.json", in)
			r := joyRun(t, nil, "", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			remote := listDir(t, srv.remote)
			want := (len(all) + 9) / 10
			if len(remote) != want {
				t.Fatalf("%d files uploaded (%v), want %d", len(remote), remote, want)
			}
			var got []map[string]any
			for _, name := range remote {
				b, _ := os.ReadFile(filepath.Join(srv.remote, name))
				got = append(got, records2(t, string(b))...)
			}
			if fmt.Sprint(got) != fmt.Sprint(all) {
				t.Errorf("uploaded %d records, want the %d of the capture", len(got), len(all))
			}
			local := listDir(t, out)
			if retain == "0" && len(local) != 0 {
				t.Errorf("retain=0: local files left: %v", local)
			}
			if retain == "1" {
				if strings.Join(local, " ") != strings.Join(remote, " ") {
					t.Errorf("retain=1: local %v, remote %v", local, remote)
				}
				for _, name := range local {
					a, _ := os.ReadFile(filepath.Join(out, name))
					b, _ := os.ReadFile(filepath.Join(srv.remote, name))
					if string(a) != string(b) {
						t.Errorf("%s: local and uploaded copies differ", name)
					}
				}
			}
		})
	}
}

// The server is down: files are kept and retried; once it is back they
// are all uploaded (and removed locally), and the exit status is 0. If it
// stays down past upload_wait, every file is kept and the exit status 1.
func TestUploadServerDownThenBack(t *testing.T) {
	in := pcap(t, "ndpi-android.pcap")
	srv := newSSHServer(t)
	srv.stop()

	out := t.TempDir()
	args := append(srv.args(), "bidir=1", "count=10", "upload_retry=1", "upload_wait=60", "outdir="+out, "output=flows.json", in)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, built(t), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// All files written and kept while the server is down.
	deadline := time.Now().Add(30 * time.Second)
	for len(listDir(t, out)) < 7 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // at least one failed retry
	kept := listDir(t, out)
	if len(kept) != 7 || len(listDir(t, srv.remote)) != 0 {
		t.Fatalf("while the server is down: local %v, remote %v", kept, listDir(t, srv.remote))
	}
	srv.start()
	err := cmd.Wait()
	if err != nil {
		t.Fatalf("joy: %v; stderr %s", err, stderr.String())
	}
	if remote := listDir(t, srv.remote); strings.Join(remote, " ") != strings.Join(kept, " ") {
		t.Errorf("uploaded %v, want %v", remote, kept)
	}
	if local := listDir(t, out); len(local) != 0 {
		t.Errorf("local files left after upload: %v", local)
	}
	if !strings.Contains(stderr.String(), "failed, kept and retried") {
		t.Errorf("no warning about the failed upload: %q", stderr.String())
	}

	// Down for good: everything kept, named, exit 1.
	srv.stop()
	out2 := t.TempDir()
	args = append(srv.args(), "bidir=1", "count=10", "upload_retry=1", "upload_wait=2", "outdir="+out2, "output=flows.json", in)
	r := joyRun(t, nil, "", args...)
	if r.code != 1 || len(listDir(t, out2)) != 7 || strings.Count(r.stderr, "not uploaded, kept: ") != 7 {
		t.Errorf("server down: exit %d, local %v, stderr %q", r.code, listDir(t, out2), r.stderr)
	}

	// The next run, with the server back, uploads the files left behind
	// first, and numbers its own after them (nothing overwritten).
	srv.start()
	os.RemoveAll(srv.remote)
	os.Mkdir(srv.remote, 0o755)
	r = joyRun(t, nil, "", args...)
	remote := listDir(t, srv.remote)
	if r.code != 0 || len(remote) != 14 || remote[13] != "flows-00014.json" || len(listDir(t, out2)) != 0 ||
		!strings.Contains(r.stderr, "left by an earlier run") {
		t.Errorf("next run: exit %d, remote %v, local %v, stderr %q", r.code, remote, listDir(t, out2), r.stderr)
	}
	_, all := records(t, joyRun(t, nil, "", "bidir=1", in).stdout)
	for i, name := range remote {
		b, _ := os.ReadFile(filepath.Join(srv.remote, name))
		if got := records2(t, string(b)); fmt.Sprint(got) != fmt.Sprint(all[(i%7)*10:min((i%7)*10+10, len(all))]) {
			t.Errorf("%s: not the records %d.. of the capture", name, (i%7)*10)
		}
	}
}

// An unreadable keyfile is refused before any packet is read.
func TestUploadBadKeyfile(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	dir := t.TempDir()
	r := joyRun(t, nil, "", "upload=u@127.0.0.1:/x", "keyfile="+filepath.Join(dir, "nokey"), "outdir="+dir, "output=f.json", in)
	if r.code != 1 || !strings.Contains(r.stderr, "keyfile=") || len(listDir(t, dir)) != 0 {
		t.Errorf("exit %d, stderr %q, files %v", r.code, r.stderr, listDir(t, dir))
	}
}
