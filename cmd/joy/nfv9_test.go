package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// softflowd exports a shared capture as NetFlow v9 to joy nfv9_port=N on
// 127.0.0.1: every record softflowd sent is printed, and each one is a
// flow direction of the capture, with the packet count and start time
// (softflowd -A milli: absolute ms; one start for both directions)
// that joy's own records of the capture give.
func TestNFv9FromSoftflowd(t *testing.T) {
	if testing.Short() {
		t.Skip("not with -short: runs softflowd and a collector")
	}
	for _, tool := range []string{"softflowd", "softflowctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install softflowd): %v", tool, err)
		}
	}
	in := pcap(t, "ndpi-android.pcap")
	_, own := records(t, joyRun(t, nil, "", in).stdout)
	type facts struct {
		packets float64
		start   string
	}
	byKey := map[string]facts{}
	// softflowd keeps one start time for both directions of a flow: the
	// earlier one.
	first := map[string]float64{}
	pair := func(r map[string]any) string {
		a, b := fmt.Sprint(r["sa"], r["sp"]), fmt.Sprint(r["da"], r["dp"])
		if a > b {
			a, b = b, a
		}
		return fmt.Sprint(a, b, r["pr"])
	}
	for _, r := range own {
		if v, ok := first[pair(r)]; !ok || r["time_start"].(float64) < v {
			first[pair(r)] = r["time_start"].(float64)
		}
	}
	for _, r := range own {
		k := fmt.Sprint(r["sa"], r["da"], r["sp"], r["dp"], r["pr"])
		f := byKey[k]
		if f.start == "" {
			f.start = fmt.Sprintf("%.3f", first[pair(r)]-0.0005)
		}
		f.packets += r["num_pkts_out"].(float64)
		byKey[k] = f
	}

	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	coll := exec.CommandContext(ctx, built(t), fmt.Sprintf("nfv9_port=%d", port), "ipfix_collect_idle=3")
	var collected, collErr strings.Builder
	coll.Stdout, coll.Stderr = &collected, &collErr
	if err := coll.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !udpBound(port); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("joy did not bind UDP port %d: %s", port, collErr.String())
		}
	}
	dir := t.TempDir()
	ctl := filepath.Join(dir, "ctl")
	sf := exec.CommandContext(ctx, "softflowd", "-d", "-r", in, "-n", fmt.Sprintf("127.0.0.1:%d", port), "-v", "9",
		"-A", "milli", "-p", filepath.Join(dir, "pid"), "-c", ctl)
	var sfOut strings.Builder
	sf.Stdout, sf.Stderr = &sfOut, &sfOut
	if err := sf.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sf.Wait() }()
	// softflowd reading a file waits in poll() on its control socket:
	// each control request lets it go on until the file ends.
	var sfErr error
wait:
	for i := 0; ; i++ {
		select {
		case sfErr = <-done:
			break wait
		case <-time.After(200 * time.Millisecond):
			exec.Command("softflowctl", "-c", ctl, "statistics").Run()
			if i == 150 {
				t.Fatalf("softflowd did not finish: %s", sfOut.String())
			}
		}
	}
	if sfErr != nil {
		t.Fatalf("softflowd: %v: %s", sfErr, sfOut.String())
	}
	var exported int
	if i := strings.Index(sfOut.String(), "Flows exported: "); i >= 0 {
		fmt.Sscanf(sfOut.String()[i:], "Flows exported: %d (%d records)", new(int), &exported)
	}
	if err := coll.Wait(); err != nil {
		t.Fatalf("joy: %v: %s", err, collErr.String())
	}
	_, got := records(t, collected.String())
	if exported == 0 || len(got) != exported {
		t.Fatalf("collected %d records, softflowd exported %d\n%s\n%s", len(got), exported, sfOut.String(), collErr.String())
	}
	matched := 0
	for _, r := range got {
		k := fmt.Sprint(r["sa"], r["da"], r["sp"], r["dp"], r["pr"])
		f, ok := byKey[k]
		if !ok {
			t.Errorf("collected flow %s is not in the capture", k)
			continue
		}
		if r["num_pkts_out"].(float64) == f.packets && fmt.Sprintf("%.3f", r["time_start"].(float64)) == f.start {
			matched++
		} else if testing.Verbose() {
			t.Logf("differs: %s: collected %v packets from %v, joy %v from %s", k, r["num_pkts_out"], r["time_start"], f.packets, f.start)
		}
	}
	if matched != len(got) {
		t.Errorf("only %d of %d collected records agree with joy's records of the capture", matched, len(got))
	}
	t.Logf("%d records collected, %d agree on packets and start time with joy's own", len(got), matched)
}
