package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// paramServer serves classifier parameter files and a label list from a
// local HTTP server (httptest listens on 127.0.0.1).
type paramServer struct {
	mu      sync.Mutex
	files   map[string][]byte
	fetches atomic.Int64
}

func (p *paramServer) set(name string, b []byte) {
	p.mu.Lock()
	p.files[name] = b
	p.mu.Unlock()
}

func (p *paramServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	b, ok := p.files[strings.TrimPrefix(r.URL.Path, "/")]
	p.mu.Unlock()
	p.fetches.Add(1)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(b)
}

func zeros(n int) []byte { return []byte(strings.Repeat("0.0\n", n)) }

func flowKey(r map[string]any) string {
	return fmt.Sprint(r["sa"], r["da"], r["sp"], r["dp"], r["pr"], r["time_start"])
}

// URLmodel and URLlabel fetched at start: all-zero weights score every
// flow 0.5, and the addresses of the fetched list are labelled malware.
func TestURLModelAndLabelAtStart(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	base := joyRun(t, nil, "", "bidir=1", "classify=1", in)
	_, plain := records(t, base.stdout)
	if len(plain) == 0 {
		t.Fatal("no records")
	}
	addr := plain[0]["sa"].(string)
	srv := &paramServer{files: map[string][]byte{
		"m/s.txt": zeros(208), "m/b.txt": zeros(464), "list.txt": []byte("# fetched\n" + addr + "/32\n"),
	}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	r := joyRun(t, nil, "", "bidir=1", "classify=1", "URLmodel="+hs.URL+"/m", "model=s.txt:b.txt", "URLlabel="+hs.URL+"/list.txt", in)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	_, recs := records(t, r.stdout)
	if len(recs) != len(plain) {
		t.Fatalf("%d records, want %d", len(recs), len(plain))
	}
	labelled := 0
	for i, rec := range recs {
		if rec["p_malware"] != 0.5 {
			t.Errorf("record %d: p_malware %v, want 0.5 from the fetched all-zero model", i, rec["p_malware"])
		}
		if rec["sa"] == addr || rec["da"] == addr {
			if !strings.Contains(fmt.Sprint(rec["sa_labels"], rec["da_labels"]), "malware") {
				t.Errorf("record %d of %s has no malware label", i, addr)
			}
			labelled++
		}
	}
	if labelled == 0 {
		t.Error("no record labelled")
	}
	// A failed fetch keeps the model in force and says so.
	r = joyRun(t, nil, "", "bidir=1", "classify=1", "URLmodel="+hs.URL+"/none", "model=s.txt:b.txt", in)
	if r.code != 0 || r.stdout != base.stdout || !strings.Contains(r.stderr, "404") {
		t.Errorf("failed fetch: exit %d, same records %v, stderr %q", r.code, r.stdout == base.stdout, r.stderr)
	}
}

// A model fetched again during a run is swapped in between packets: the
// flows printed afterwards use it, and no flow is lost or doubled.
func TestURLModelSwappedDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("not with -short: waits for two rounds of fetches")
	}
	in := pcap(t, "ndpi-android.pcap")
	data := shared(t) + "/data/"
	spltB, err1 := os.ReadFile(data + "logreg_scaled_splt.txt")
	bdB, err2 := os.ReadFile(data + "logreg_scaled_bd.txt")
	if err1 != nil || err2 != nil {
		t.Skipf("no model files in %s: %v %v", data, err1, err2)
	}
	withB := joyRun(t, nil, "", "bidir=1", "classify=1", "model="+data+"logreg_scaled_splt.txt:"+data+"logreg_scaled_bd.txt", in)
	_, recsB := records(t, withB.stdout)
	byKey := map[string]any{}
	for _, r := range recsB {
		byKey[flowKey(r)] = r["p_malware"]
	}

	srv := &paramServer{files: map[string][]byte{"s.txt": zeros(208), "b.txt": zeros(464)}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	fifo := filepath.Join(t.TempDir(), "in.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, built(t), "bidir=1", "classify=1", "update_interval=1", "verbosity=2",
		"URLmodel="+hs.URL, "model=s.txt:b.txt", fifo)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	capture, _ := os.ReadFile(in)
	half := len(capture) / 2
	w.Write(capture[:half])
	// Serve model B from now on, and wait until joy has fetched it.
	srv.set("s.txt", spltB)
	srv.set("b.txt", bdB)
	seen := srv.fetches.Load()
	deadline := time.Now().Add(30 * time.Second)
	for srv.fetches.Load() < seen+4 && time.Now().Before(deadline) { // two whole rounds after the change
		time.Sleep(50 * time.Millisecond)
	}
	w.Write(capture[half:])
	w.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("joy: %v: %s", err, stderr.String())
	}
	_, recs := records(t, stdout.String())
	if len(recs) != len(recsB) {
		t.Fatalf("%d records, want %d", len(recs), len(recsB))
	}
	fromA, fromB := 0, 0
	for i, r := range recs {
		b, ok := byKey[flowKey(r)]
		switch {
		case !ok:
			t.Errorf("record %d: flow %s not in the reference run", i, flowKey(r))
		case r["p_malware"] == b:
			fromB++
		case r["p_malware"] == 0.5:
			fromA++
		default:
			t.Errorf("record %d: p_malware %v, neither 0.5 nor %v", i, r["p_malware"], b)
		}
	}
	if last := recs[len(recs)-1]; last["p_malware"] != byKey[flowKey(last)] || fromB == 0 {
		t.Errorf("the flows printed after the swap do not use the new model (%d from the new, %d from the old)", fromB, fromA)
	}
	if !strings.Contains(stderr.String(), "URLmodel: new classifier parameters in force") {
		t.Errorf("no log line of the swap: %q", stderr.String())
	}
	t.Logf("%d records scored by the first model, %d by the swapped-in one", fromA, fromB)
}
