package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy"
)

// joyBin is the command, built on first use, for the tests that need a
// process of their own (privileges, standard input, exit status). Fuzz
// workers never build it.
var (
	joyBin    string
	buildOnce sync.Once
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "joy-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	joyBin = filepath.Join(dir, "joy")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// built builds joyBin once, or fails the test.
func built(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", "build", "-o", joyBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building joy: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return joyBin
}

// shared returns the shared material directory or skips the test.
func shared(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("JOY_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "pcaps")); err != nil {
		t.Skipf("no shared captures at %s (set JOY_SHARED): %v", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func pcap(t *testing.T, name string) string {
	return filepath.Join(shared(t), "pcaps", name)
}

type result struct {
	stdout, stderr string
	code           int
}

// joyRun runs the built command with a deadline.
func joyRun(t *testing.T, stdin io.Reader, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, built(t), args...)
	cmd.Stdin = stdin
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("joy %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

// records splits JSON lines into the configuration line and the flow
// records, each decoded.
func records(t *testing.T, text string) (map[string]any, []map[string]any) {
	t.Helper()
	var cfg map[string]any
	var recs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("invalid JSON line %q: %v", sc.Text(), err)
		}
		if _, ok := m["end-config"]; ok {
			if cfg == nil {
				cfg = m
			}
			continue
		}
		recs = append(recs, m)
	}
	return cfg, recs
}

// The original's usage text (697dc5a, joy -h), every option of it.
var originalOptions = []string{
	"interface", "promisc", "output", "logfile", "count", "upload", "keyfile", "anon", "retain",
	"preemptive_timeout", "nfv9_port", "ipfix_collect_port", "ipfix_collect_online", "ipfix_export_port",
	"ipfix_export_remote_port", "ipfix_export_remote_host", "ipfix_export_template", "aux_resource_path",
	"verbosity", "show_config", "show_interfaces", "username", "bpf", "zeros", "retrans", "bidir", "dist",
	"cdist", "entropy", "http", "exe", "classify", "num_pkts", "type", "idp", "label", "URLmodel", "model",
	"hd", "URLlabel", "wht", "example", "dns", "ssh", "tls", "dhcp", "ike", "payload", "salt", "ppi",
	// in its config parser, not its usage text
	"outdir", "useranon",
}

// Every option of the original is in the table, and every option of the
// table is in "joy help" and in the README's option table.
func TestEveryOptionListed(t *testing.T) {
	help := joyRun(t, nil, "", "help")
	if help.code != 0 {
		t.Fatalf("joy help: exit %d", help.code)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range originalOptions {
		if optionIndex[name] == nil {
			t.Errorf("option %s of the original is not in the table", name)
		}
	}
	for name, o := range optionIndex {
		if o.alias {
			continue
		}
		if !regexp.MustCompile(`(?m)^ [ +]` + regexp.QuoteMeta(name) + `=`).MatchString(help.stdout) {
			t.Errorf("option %s is not in joy help", name)
		}
		if !bytes.Contains(readme, []byte("| `"+name+"=")) {
			t.Errorf("option %s is not in the README's option table", name)
		}
		if o.help == "" {
			t.Errorf("option %s has no help line", name)
		}
	}
	for _, a := range []string{"-h", "--help"} {
		if r := joyRun(t, nil, "", a); r.code != 0 || r.stdout != help.stdout {
			t.Errorf("joy %s: exit %d, differs from joy help", a, r.code)
		}
	}
}

// Bad values and unknown options: one line naming the option and what it
// takes, exit 2, nothing on standard output, no input read (the input
// does not even exist).
func TestBadOptionsRefused(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"bidir=2"}, "bidir=2: bidir must be 0 or 1"},
		{[]string{"bidir=yes"}, "bidir=yes: bidir must be 0 or 1"},
		{[]string{"type=3"}, "type=3: type must be 1 or 2"},
		{[]string{"verbosity=9"}, "verbosity=9: verbosity must be a whole number from 0 to 5"},
		{[]string{"idp=1501"}, "idp must be a whole number from 0 to 1500"},
		{[]string{"num_pkts=201"}, "num_pkts must be a whole number from 0 to 200"},
		{[]string{"count=0"}, "count must be a whole number from 1 to"},
		{[]string{"ipfix_export_template=full"}, "ipfix_export_template must be one of simple, idp"},
		{[]string{"ipfix_collect_port=70000"}, "from 0 to 65535"},
		{[]string{"model=onlyone"}, "model takes SPLT_FILE:BD_FILE"},
		{[]string{"label=nofile"}, "label takes NAME:FILE"},
		{[]string{"bidirectional=1"}, `unknown option "bidirectional"; did you mean bidir?`},
		{[]string{"frobnicate=1"}, `unknown option "frobnicate"`},
		{[]string{"--frob"}, `unknown flag "--frob"`},
		{[]string{"output="}, "output needs a value"},
		{[]string{"ipfix_collect_online=1"}, "ipfix_collect_online=1 needs ipfix_collect_port=N"},
		{[]string{"ipfix_collect_port=4739", "ipfix_export_port=4739"}, "cannot run at the same time"},
		{[]string{"interface=eth0"}, "both interface=eth0 and capture files given"},
	}
	for _, c := range cases {
		args := append(append([]string{}, c.args...), "/nonexistent/in.pcap")
		r := joyRun(t, nil, "", args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 2 || r.stdout != "" || len(lines) != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("joy %v: exit %d, stdout %q, stderr %q; want exit 2, one line with %q", args, r.code, r.stdout, r.stderr, c.want)
		}
	}
	// What the original accepted without effect is a warning.
	in := pcap(t, "joy-tls12.pcap")
	for _, a := range []string{"upload=u@h:/p", "URLmodel=http://127.0.0.1:1/", "keyfile=/nonexistent"} {
		r := joyRun(t, nil, "", a, in)
		if r.code != 0 || strings.Contains(r.stderr, "warning") != (a != "keyfile=/nonexistent") {
			t.Errorf("joy %s: exit %d, stderr %q", a, r.code, r.stderr)
		}
	}
	if r := joyRun(t, nil, ""); r.code != 2 || !strings.Contains(r.stderr, "no capture file given") {
		t.Errorf("joy without arguments: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestVersion(t *testing.T) {
	want := "joy " + joy.Version + " (libjoy-go) " + runtime.Version() + "\n"
	for _, a := range []string{"--version", "version"} {
		if r := joyRun(t, nil, "", a); r.code != 0 || r.stdout != want {
			t.Errorf("joy %s: exit %d, %q; want %q", a, r.code, r.stdout, want)
		}
	}
}

// The original's options.cfg syntax; a setting in the file wins over the
// command line (the original reads the file after the command line).
func TestConfigFile(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "options.cfg")
	os.WriteFile(cfg, []byte(`# comment line
   # indented comment
bidir = 1          # trailing comment
tls
dist=0
verbosity = 3
label = "intnet:`+filepath.Join(dir, "nets")+`"

`), 0o644)
	os.WriteFile(filepath.Join(dir, "nets"), []byte("10.0.0.0/8\n"), 0o644)
	r := joyRun(t, nil, "", "dist=1", "bidir=0", "http=1", "-x", cfg, in)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	c, recs := records(t, r.stdout)
	want := map[string]float64{"bidir": 1, "tls": 1, "dist": 0, "http": 1, "verbosity": 3}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("config %s = %v, want %v", k, c[k], v)
		}
	}
	if c["label"] != "intnet:"+filepath.Join(dir, "nets") {
		t.Errorf("config label = %v", c["label"])
	}
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	// -xFILE and --xconfig=FILE are the same.
	for _, a := range []string{"-x" + cfg, "--xconfig=" + cfg} {
		r2 := joyRun(t, nil, "", "dist=1", "bidir=0", "http=1", a, in)
		if r2.stdout != r.stdout {
			t.Errorf("%s: output differs from -x FILE", a)
		}
	}

	// A bad line: file and line number, exit 2, nothing read.
	for i, text := range []string{
		"bidir = 1\n\nbidir = 2\n",
		"bidir = 1\n\nfoo bar = 2\n",
		"bidir = 1\n\nnosuchoption = 1\n",
		"bidir = 1\n\noutput\n",
		"bidir = 1\n\n= 3\n",
	} {
		bad := filepath.Join(dir, fmt.Sprintf("bad%d.cfg", i))
		os.WriteFile(bad, []byte(text), 0o644)
		r := joyRun(t, nil, "", "-x", bad, in)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, bad+":3: ") {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want exit 2 and %s:3", text, r.code, len(r.stdout), r.stderr, bad)
		}
	}
	if r := joyRun(t, nil, "", "-x", filepath.Join(dir, "missing.cfg"), in); r.code != 2 || !strings.Contains(r.stderr, "missing.cfg") {
		t.Errorf("missing -x file: exit %d, %q", r.code, r.stderr)
	}
}

// show_config prints the original's "key = value" listing on the log
// stream; logfile= moves the log to a file.
func TestShowConfigAndLogfile(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	r := joyRun(t, nil, "", "show_config=1", "bidir=1", in)
	if r.code != 0 || !strings.HasPrefix(r.stderr, "joy version = 2.1-dev\ninterface = none\n") ||
		!strings.Contains(r.stderr, "\nbidir = 1\n") || !strings.HasSuffix(r.stderr, "ppi = 0\nverbosity = 4\n") {
		t.Errorf("show_config: exit %d, stderr %q", r.code, r.stderr)
	}
	log := filepath.Join(t.TempDir(), "joy.log")
	r = joyRun(t, nil, "", "show_config=1", "logfile="+log, in)
	b, _ := os.ReadFile(log)
	if r.code != 0 || !strings.HasPrefix(string(b), "joy version = 2.1-dev\n") || strings.Contains(r.stderr, "joy version") {
		t.Errorf("logfile: exit %d, stderr %q, log %q", r.code, r.stderr, b)
	}
	c, _ := records(t, r.stdout)
	if c["info"] != log {
		t.Errorf("config info = %v, want %s", c["info"], log)
	}
}

// Scripts written for the original run unchanged: an empty argument is
// skipped with a warning, bare "name=value" lists work.
func TestEmptyArgumentSkipped(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	want := joyRun(t, nil, "", "bidir=1", in)
	r := joyRun(t, nil, "", "bidir=1", "", in, "")
	if r.code != 0 || r.stdout != want.stdout || strings.Count(r.stderr, "is empty; skipped") != 2 {
		t.Errorf("exit %d, same output %v, stderr %q", r.code, r.stdout == want.stdout, r.stderr)
	}
}

// "-" reads a pcap or pcapng capture from standard input.
func TestStandardInput(t *testing.T) {
	for _, name := range []string{"joy-tls12.pcap", "gopacket-pcapng-be-test005.pcapng"} {
		in := pcap(t, name)
		want := joyRun(t, nil, "", "bidir=1", in)
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		r := joyRun(t, f, "", "bidir=1", "-")
		f.Close()
		if r.code != 0 || r.stdout != want.stdout || want.code != 0 {
			t.Errorf("%s from stdin: exit %d, identical %v, stderr %q", name, r.code, r.stdout == want.stdout, r.stderr)
		}
	}
}

// A directory is every capture in it, in name order; source=1 names each
// record's file, and without it records are unchanged.
func TestDirectoryAndSource(t *testing.T) {
	dir := t.TempDir()
	a, b := pcap(t, "joy-tls12.pcap"), pcap(t, "joy-tls10.pcap")
	copyFile(t, b, filepath.Join(dir, "1.pcap"))
	copyFile(t, a, filepath.Join(dir, "2.pcap"))
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("x"), 0o644)
	want := joyRun(t, nil, "", "bidir=1", filepath.Join(dir, "1.pcap"), filepath.Join(dir, "2.pcap"))
	r := joyRun(t, nil, "", "bidir=1", dir)
	if r.code != 0 || r.stdout != want.stdout {
		t.Fatalf("directory: exit %d, identical %v, stderr %q", r.code, r.stdout == want.stdout, r.stderr)
	}
	s := joyRun(t, nil, "", "bidir=1", "source=1", dir)
	_, recs := records(t, s.stdout)
	_, plain := records(t, r.stdout)
	if len(recs) != len(plain) || len(recs) == 0 {
		t.Fatalf("source=1: %d records, want %d", len(recs), len(plain))
	}
	n1 := len(records2(t, joyRun(t, nil, "", "bidir=1", filepath.Join(dir, "1.pcap")).stdout))
	for i, rec := range recs {
		want := filepath.Join(dir, "1.pcap")
		if i >= n1 {
			want = filepath.Join(dir, "2.pcap")
		}
		if rec["source"] != want {
			t.Fatalf("record %d: source %v, want %s", i, rec["source"], want)
		}
		delete(rec, "source")
		if fmt.Sprint(rec) != fmt.Sprint(plain[i]) {
			t.Fatalf("record %d differs beyond source", i)
		}
	}
	if strings.Contains(r.stdout, `"source"`) {
		t.Error("source member without source=1")
	}
}

func records2(t *testing.T, text string) []map[string]any {
	_, r := records(t, text)
	return r
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// count=C rotates the output: numbered files of about C records, each
// with its configuration line, together exactly the records of one file.
func TestRotation(t *testing.T) {
	in := pcap(t, "ndpi-android.pcap")
	whole := joyRun(t, nil, "", "bidir=1", in)
	_, all := records(t, whole.stdout)
	if len(all) < 40 {
		t.Fatalf("only %d records in the test capture", len(all))
	}
	dir := t.TempDir()
	const count = 10
	r := joyRun(t, nil, "", "bidir=1", "count=10", "outdir="+dir, "output=flows.json", in)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "flows-*.json"))
	sort.Strings(files)
	var got []map[string]any
	for i, f := range files {
		if filepath.Base(f) != fmt.Sprintf("flows-%05d.json", i+1) {
			t.Errorf("file %d is %s", i, f)
		}
		b, _ := os.ReadFile(f)
		c, recs := records(t, string(b))
		if c == nil || c["count"] != float64(count) {
			t.Errorf("%s: configuration line %v", f, c)
		}
		if (i < len(files)-1 && len(recs) != count) || len(recs) > count || len(recs) == 0 {
			t.Errorf("%s: %d records, want %d", f, len(recs), count)
		}
		got = append(got, recs...)
	}
	if len(files) != (len(all)+count-1)/count || fmt.Sprint(got) != fmt.Sprint(all) {
		t.Errorf("%d files, %d records; want the %d records of the whole output", len(files), len(got), len(all))
	}
}

// output=auto: the original's flocap-<MAC>-<time> name in outdir.
func TestOutputAuto(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	dir := t.TempDir()
	r := joyRun(t, nil, "", "output=auto", "outdir="+dir, in)
	ents, _ := os.ReadDir(dir)
	if r.code != 0 || len(ents) != 1 || !regexp.MustCompile(`^flocap-[0-9a-f]{12}-20\d{12}$`).MatchString(ents[0].Name()) {
		t.Fatalf("exit %d, stderr %q, files %v", r.code, r.stderr, ents)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ents[0].Name()))
	want := joyRun(t, nil, "", in).stdout
	want = strings.Replace(want, `"output":"none","outputdir":"none"`, `"output":"auto","outputdir":"`+dir+`"`, 1)
	if string(b) != want {
		t.Error("output=auto file differs from standard output")
	}
}

// show_interfaces prints the original's interface list.
func TestShowInterfaces(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	r := joyRun(t, nil, "", "show_interfaces=1", in)
	if r.code != 0 || !strings.Contains(r.stderr, "\nInterfaces\n==========\n") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, i := range suitableInterfaces() {
		if !strings.Contains(r.stderr, "Interface: "+i.Name+"\n") {
			t.Errorf("interface %s not listed", i.Name)
		}
	}
}

// JOY_PRINT_OPTIONS=1 prints the README's option table from the option
// table (the test above keeps the two in step).
func TestPrintOptionTable(t *testing.T) {
	if os.Getenv("JOY_PRINT_OPTIONS") == "" {
		t.Skip("set JOY_PRINT_OPTIONS=1 to print the README's option table")
	}
	for _, tab := range [][]option{generalOptions, dataOptions, protocolOptions} {
		for _, o := range tab {
			if o.alias {
				continue
			}
			ext := ""
			if o.ext {
				ext = " (+)"
			}
			fmt.Printf("| `%s=%s`%s | %s |\n", o.name, o.argText(), ext, strings.ReplaceAll(o.help, "\n", " "))
		}
	}
}

// progress=1 draws the progress line while a file is read (here from a
// FIFO that stalls for a second); progress=0 and a standard error that
// is not a terminal draw none.
func TestProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("not with -short: stalls its input for a second, three times")
	}
	in := pcap(t, "ndpi-android.pcap")
	capture, _ := os.ReadFile(in)
	for _, mode := range []string{"progress=1", "progress=0", ""} {
		fifo := filepath.Join(t.TempDir(), "in.pcap")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		args := []string{"bidir=1", fifo}
		if mode != "" {
			args = append([]string{mode}, args...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, built(t), args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(capture[:len(capture)/2])
		time.Sleep(1200 * time.Millisecond)
		w.Write(capture[len(capture)/2:])
		w.Close()
		err = cmd.Wait()
		cancel()
		drawn := strings.Contains(stderr.String(), "\rjoy: "+fifo) && strings.Contains(stderr.String(), "packets/s")
		if err != nil || drawn != (mode == "progress=1") {
			t.Errorf("%q: %v, progress line drawn %v: %q", mode, err, drawn, stderr.String())
		}
	}
}

// ipfix_collect_online=1 (the original's live IPFIX collector switch)
// with ipfix_collect_port collects what joy exports; without the port it
// is refused (TestBadOptionsRefused).
func TestIPFIXCollectOnline(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	coll := exec.CommandContext(ctx, built(t), fmt.Sprintf("ipfix_collect_port=%d", port), "ipfix_collect_online=1", "ipfix_collect_idle=3")
	var collected, collErr strings.Builder
	coll.Stdout, coll.Stderr = &collected, &collErr
	if err := coll.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !udpBound(port); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the collector did not bind UDP port %d: %s", port, collErr.String())
		}
	}
	r := joyRun(t, nil, "", "bidir=1", "ipfix_export_remote_host=127.0.0.1", fmt.Sprintf("ipfix_export_remote_port=%d", port), in)
	if r.code != 0 {
		t.Fatalf("export: exit %d: %s", r.code, r.stderr)
	}
	var sent int
	fmt.Sscanf(r.stderr[strings.Index(r.stderr, "IPFIX: "):], "IPFIX: %d records", &sent)
	if err := coll.Wait(); err != nil {
		t.Fatalf("collector: %v: %s", err, collErr.String())
	}
	if n := strings.Count(collected.String(), "\n"); sent == 0 || n != sent {
		t.Errorf("collected %d records, exported %d; collector said %q", n, sent, collErr.String())
	}
}

// udpBound tells whether a local UDP socket is bound to port (Linux).
func udpBound(port int) bool {
	hex := fmt.Sprintf(":%04X ", port)
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), hex) {
			return true
		}
	}
	return false
}

// man/joy.1 is generated from the option table: JOY_WRITE_MAN=1 rewrites
// it, otherwise the test fails when it is out of step.
func TestManPage(t *testing.T) {
	var b bytes.Buffer
	writeManPage(&b)
	path := "../../man/joy.1"
	if os.Getenv("JOY_WRITE_MAN") != "" {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(old, b.Bytes()) {
		t.Errorf("%s is out of step with the option table (JOY_WRITE_MAN=1 go test -run TestManPage ./cmd/joy rewrites it): %v", path, err)
	}
	if man, err := exec.LookPath("man"); err == nil {
		out, err := exec.Command(man, "-l", "--warnings", path).CombinedOutput()
		if err != nil || bytes.Contains(out, []byte("warning:")) {
			t.Errorf("man -l %s: %v\n%s", path, err, out)
		}
	}
}

// The example options.cfg is valid, and the unit runs joy with it.
func TestInstallFiles(t *testing.T) {
	s, err := loadSettings(&commandLine{xfiles: []string{"../../install/options.cfg"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.live.Interface != "auto" || s.cfg.Output != "auto" || s.count != 100000 || !s.cfg.Bidir || s.username != "joy" {
		t.Errorf("options.cfg read as %+v", s)
	}
	unit, _ := os.ReadFile("../../install/joy.service")
	if !strings.Contains(string(unit), "ExecStart=/usr/local/bin/joy -x ${CONFIGFILE}") {
		t.Error("joy.service does not run joy -x")
	}
}

// aux_resource_path: a relative resource file not found where named is
// looked up there; a file found nowhere is an error naming the option.
func TestAuxResourcePath(t *testing.T) {
	in := pcap(t, "joy-tls12.pcap")
	aux := t.TempDir()
	os.WriteFile(filepath.Join(aux, "nets.txt"), []byte("192.168.56.0/24\n"), 0o644)
	cwd := t.TempDir()
	r := joyRun(t, nil, cwd, "bidir=1", "label=lan:nets.txt", "aux_resource_path="+aux, in)
	if r.code != 0 || !strings.Contains(r.stdout, `"sa_labels"`) || !strings.Contains(r.stdout, `"lan"`) {
		t.Errorf("exit %d, stderr %q, labels in records %v", r.code, r.stderr, strings.Contains(r.stdout, `"lan"`))
	}
	r = joyRun(t, nil, cwd, "bidir=1", "label=lan:nets.txt", in)
	if r.code != 1 || !strings.Contains(r.stderr, "label=lan:nets.txt") || r.stdout != "" {
		t.Errorf("without aux_resource_path: exit %d, stderr %q", r.code, r.stderr)
	}
}
