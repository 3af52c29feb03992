//go:build linux

package liveit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"golang.org/x/sys/unix"
)

// TestLiveCookedTun: a tun device has no link-layer header (ARPHRD_NONE),
// so it is captured "cooked" and its packets get a Linux cooked header.
// The test writes joy-sample's IP packets into a tun device in the
// namespace (the helper below, run inside it; with forwarding off there
// they go nowhere) and compares joy's live records with joy's records of
// the same packets read from a raw-IP capture file.
func TestLiveCookedTun(t *testing.T) {
	src := pcaps(t, "joy-sample.pcap")[0]
	n := newNetns(t)
	raw := filepath.Join(t.TempDir(), "sample-rawip.pcap")
	count := writeRawIP(t, src, raw)
	want := fileRecords(t, recordOpts, raw)

	helper := exec.Command("ip", "netns", "exec", n.name, os.Args[0], "-test.run=^TestTunHelper$")
	helper.Env = append(os.Environ(), "JOY_TUN_HELPER="+raw)
	stdin, _ := helper.StdinPipe()
	stdout, _ := helper.StdoutPipe()
	helper.Stderr = os.Stderr
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); helper.Process.Kill(); helper.Wait() }()
	lines := bufio.NewScanner(stdout)
	expect := func(word string) {
		t.Helper()
		got := make(chan bool, 1)
		go func() { got <- lines.Scan() && strings.HasPrefix(lines.Text(), word) }()
		select {
		case ok := <-got:
			if !ok {
				t.Fatalf("tun helper: want %q, got %q", word, lines.Text())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("tun helper did not say %q within 30 s", word)
		}
	}
	expect("ready")
	s := startJoy(t, n, append([]string{"interface=jt0"}, recordOpts...)...)
	if !strings.Contains(s.stderrText(), "(link type 113,") {
		t.Errorf("jt0 is not captured as Linux cooked (113):\n%s", s.stderrText())
	}
	io.WriteString(stdin, "go\n")
	expect("done")
	time.Sleep(300 * time.Millisecond)
	st := s.stop(t)
	if st.received != uint64(count) {
		t.Errorf("kernel received %d packets, the helper wrote %d", st.received, count)
	}
	got := records(t, s.stdout.Bytes())
	sameRecords(t, got, want)
	t.Logf("%d packets through jt0, %d records", count, len(got))
}

// writeRawIP copies the IPv4 packets of an Ethernet capture, without their
// Ethernet header, to a raw-IP (LINKTYPE_RAW) capture; it returns how many.
func writeRawIP(t *testing.T, src, dst string) int {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := pcapgo.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := pcapgo.NewWriter(out)
	if err := w.WriteFileHeader(65535, layers.LinkTypeRaw); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if len(data) < 34 || data[12] != 0x08 || data[13] != 0x00 {
			continue
		}
		ip := data[14:]
		ci.CaptureLength, ci.Length = len(ip), len(ip)
		if err := w.WritePacket(ci, ip); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no IPv4 packets in %s", src)
	}
	return n
}

// TestTunHelper is not a test: run by TestLiveCookedTun inside its
// namespace, it makes the tun device jt0, says "ready", waits for "go",
// writes the packets of $JOY_TUN_HELPER at 500 a second, says "done" and
// keeps the device until its standard input closes.
func TestTunHelper(t *testing.T) {
	path := os.Getenv("JOY_TUN_HELPER")
	if path == "" {
		t.Skip("helper of TestLiveCookedTun")
	}
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var ifr [40]byte
	copy(ifr[:], "jt0")
	*(*uint16)(unsafe.Pointer(&ifr[16])) = unix.IFF_TUN | unix.IFF_NO_PI
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TUNSETIFF, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		t.Fatalf("TUNSETIFF: %v", e)
	}
	if out, err := exec.Command("ip", "link", "set", "jt0", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set jt0 up: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() || in.Text() != "go" {
		t.Fatal("no go")
	}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		<-tick.C
		if _, err := unix.Write(fd, data); err != nil {
			t.Fatalf("write to jt0: %v", err)
		}
	}
	fmt.Println("done")
	io.Copy(io.Discard, os.Stdin)
}
