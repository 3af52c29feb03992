// Package parquet_test checks the Parquet output with a real engine:
// DuckDB, through the npm package @duckdb/node-api (installed by .ci/run
// into tests/parquet/node_modules: `cd tests/parquet && npm install`).
// For every corpus capture, DuckDB counts as many rows as the JSON output
// has flow records, and the 5-tuple, byte and packet counts, SPLT lengths,
// ip columns, TLS SNI and HTTP host it selects equal the JSON record's
// values.
//
// Every capture in JOY_SHARED/pcaps is checked (about 250, 20 s); with
// JOY_PARQUET_JOY=1 only the 14 of the original's tests (joy-*.pcap).
package parquet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gojoy/libjoy/joy"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// queryTimeout bounds the DuckDB run (node's start and the first query),
// plus a second per file.
const queryTimeout = 2 * time.Minute

type row struct {
	SA, DA     string
	PR         int
	SP, DP     *int
	BytesOut   int64  `json:"bytes_out"`
	NumPktsOut int64  `json:"num_pkts_out"`
	BytesIn    *int64 `json:"bytes_in"`
	NumPktsIn  *int64 `json:"num_pkts_in"`
	PacketsB   []int  `json:"packets_b"`
	IPOutTTL   *int   `json:"ip_out_ttl"`
	IPOutID    []int  `json:"ip_out_id"`
	IPInTTL    *int   `json:"ip_in_ttl"`
	IPInID     []int  `json:"ip_in_id"`
	SNI        *string
	HTTPHost   *string `json:"http_host"`
}

type duckResult struct {
	Count int
	Rows  []row
}

func needDuckDB(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: DuckDB's Parquet check needs Node.js and npm @duckdb/node-api (.ci/run installs them)")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("npm package @duckdb/node-api is missing: run `cd tests/parquet && npm install` (.ci/run does)")
	}
	return node
}

func TestDuckDBReadsCorpus(t *testing.T) {
	node := needDuckDB(t)
	shared := tu.NeedShared(t)
	pattern := "*"
	if os.Getenv("JOY_PARQUET_JOY") != "" {
		pattern = "joy-*.pcap"
	}
	pcaps, _ := filepath.Glob(filepath.Join(shared, "pcaps", pattern))
	var caps []string
	for _, p := range pcaps {
		if strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng") || strings.HasSuffix(p, ".cap") {
			caps = append(caps, p)
		}
	}
	if len(caps) == 0 {
		t.Skip("no captures in " + filepath.Join(shared, "pcaps"))
	}
	dir := t.TempDir()
	var files []string
	for _, pcap := range caps {
		files = append(files, filepath.Join(dir, filepath.Base(pcap)+".parquet"))
		writeParquet(t, pcap, files[len(files)-1])
	}
	results := query(t, node, files) // one DuckDB for all: node's start is most of a query's time
	flows, withSNI, withHost, withIDs := 0, 0, 0, 0
	for k, pcap := range caps {
		name := filepath.Base(pcap)
		want := jsonRecords(t, pcap)
		got := results[k]
		if got.Count != len(want) || len(got.Rows) != len(want) {
			t.Errorf("%s: DuckDB counts %d rows (%d read), the JSON output has %d records", name, got.Count, len(got.Rows), len(want))
			continue
		}
		for i, w := range want {
			if !reflect.DeepEqual(got.Rows[i], w) {
				gj, _ := json.Marshal(got.Rows[i])
				wj, _ := json.Marshal(w)
				t.Errorf("%s: record %d:\nDuckDB %s\nJSON   %s", name, i, gj, wj)
			}
			if w.SNI != nil {
				withSNI++
			}
			if w.HTTPHost != nil {
				withHost++
			}
			if len(w.IPOutID) > 0 {
				withIDs++
			}
		}
		flows += len(want)
	}
	t.Logf("%d captures, %d flows (%d with TLS SNI, %d with an HTTP Host, %d with IP ids): DuckDB's values equal the JSON records'",
		len(caps), flows, withSNI, withHost, withIDs)
	if flows == 0 || withSNI == 0 || withHost == 0 || withIDs == 0 {
		t.Errorf("the comparison saw no flows, SNI or Host: it would not notice a loss")
	}
}

func config() *joy.Config {
	return &joy.Config{Type: 1, Verbosity: 4, Bidir: true, TLS: true, HTTP: true, DNS: true, SSH: true, DHCP: true, IKE: true}
}

func run(t *testing.T, pcap string, w *os.File, file string) {
	t.Helper()
	out, finish, err := joy.NewOutput(w, "", file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := joy.NewContext(config(), out, nil)
	ctx.WriteConfig(true)
	_ = ctx.ProcessCapture(pcap) // malformed captures end early, as in the JSON run
	ctx.PrintFlows(joy.AllFlows)
	ctx.Flush()
	if err := finish(); err != nil {
		t.Fatalf("%s: %v", pcap, err)
	}
	if s := ctx.Stats(); s.WriteErrors != 0 {
		t.Fatalf("%s: %d failed writes", pcap, s.WriteErrors)
	}
}

func writeParquet(t *testing.T, pcap, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run(t, pcap, f, path)
}

// jsonRecords runs the same configuration to Joy JSON and takes the
// compared values from each record.
func jsonRecords(t *testing.T, pcap string) []row {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flows.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	run(t, pcap, f, path)
	f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for i, line := range bytes.Split(bytes.TrimRight(data, "\n"), []byte{'\n'}) {
		if i == 0 {
			continue // the configuration record
		}
		var r struct {
			SA, DA     string
			PR         int
			SP, DP     *int
			BytesOut   int64  `json:"bytes_out"`
			NumPktsOut int64  `json:"num_pkts_out"`
			BytesIn    *int64 `json:"bytes_in"`
			NumPktsIn  *int64 `json:"num_pkts_in"`
			Packets    []struct{ B, Rep *int }
			IP         struct {
				Out, In *struct {
					TTL *int
					ID  []int
				}
			}
			TLS *struct {
				CExtensions []map[string]any `json:"c_extensions"`
			}
			HTTP []struct{ Out []map[string]any }
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s: JSON record %d: %v", pcap, i, err)
		}
		w := row{SA: r.SA, DA: r.DA, PR: r.PR, SP: r.SP, DP: r.DP, BytesOut: r.BytesOut, NumPktsOut: r.NumPktsOut,
			BytesIn: r.BytesIn, NumPktsIn: r.NumPktsIn, PacketsB: []int{}}
		if o := r.IP.Out; o != nil {
			w.IPOutTTL, w.IPOutID = o.TTL, o.ID
		}
		if in := r.IP.In; in != nil {
			w.IPInTTL, w.IPInID = in.TTL, in.ID
		}
		for _, p := range r.Packets {
			switch {
			case p.B != nil:
				w.PacketsB = append(w.PacketsB, *p.B)
			case p.Rep != nil:
				w.PacketsB = append(w.PacketsB, -*p.Rep)
			}
		}
		if r.TLS != nil {
			for _, e := range r.TLS.CExtensions {
				if s, ok := e["server_name"].(string); ok {
					w.SNI = &s
					break
				}
			}
		}
	host:
		for _, h := range r.HTTP {
			for _, m := range h.Out {
				if s, ok := m["Host"].(string); ok {
					w.HTTPHost = &s
					break host
				}
			}
		}
		rows = append(rows, w)
	}
	return rows
}

func query(t *testing.T, node string, files []string) []duckResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout+time.Duration(len(files))*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"query.mjs"}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("DuckDB on %d files: %v\n%s", len(files), err, stderr.Bytes())
	}
	var r []duckResult
	if err := json.Unmarshal(out, &r); err != nil || len(r) != len(files) {
		t.Fatalf("DuckDB's answer (%d results for %d files): %v\n%.500s", len(r), len(files), err, out)
	}
	return r
}

// The C library writes Parquet when joy_initialize's output file ends in
// .parquet: tests/c/joy_threads runs four contexts in four threads into
// one output file, and DuckDB finds the records of the same program's
// JSON output (in another order: the threads interleave).
func TestCLibraryParquet(t *testing.T) {
	node := needDuckDB(t)
	shared := tu.NeedShared(t)
	lib, _ := filepath.Abs(filepath.Join("..", "..", "build", "libjoy.so"))
	if _, err := os.Stat(lib); err != nil {
		t.Skip("build/libjoy.so is not built (make lib)")
	}
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc is not installed")
	}
	dir := t.TempDir()
	prog := filepath.Join(dir, "joy_threads")
	inc, _ := filepath.Abs(filepath.Join("..", "..", "include"))
	build := exec.Command(cc, "-I"+inc, "-o", prog, filepath.Join("..", "c", "joy_threads.c"),
		lib, "-lpcap", "-lpthread", "-Wl,-rpath,"+filepath.Dir(lib))
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("cannot build joy_threads (libpcap-dev missing?): %v\n%s", err, out)
	}
	var pcaps []string
	for _, n := range []string{"firefox58", "sample", "tls12", "dhcp"} {
		pcaps = append(pcaps, filepath.Join(shared, "pcaps", "joy-"+n+".pcap"))
	}
	runC := func(out string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// bidir, TLS, HTTP (JOY_BIDIR_ON | JOY_TLS_ON | JOY_HTTP_ON)
		cmd := exec.CommandContext(ctx, prog, append([]string{"0x29", out}, pcaps...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("joy_threads %s: %v\n%s", out, err, b)
		}
	}
	jsonOut, pqOut := filepath.Join(dir, "flows.json"), filepath.Join(dir, "flows.parquet")
	runC(jsonOut)
	runC(pqOut)
	data, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range bytes.Split(bytes.TrimRight(data, "\n"), []byte{'\n'}) {
		var r struct {
			SA, DA     string
			SP, DP     *int
			BytesOut   int64 `json:"bytes_out"`
			NumPktsOut int64 `json:"num_pkts_out"`
			Version    *string
		}
		if err := json.Unmarshal(l, &r); err != nil {
			t.Fatalf("JSON output: %v", err)
		}
		if r.Version != nil {
			continue
		}
		b, _ := json.Marshal([]any{r.SA, r.DA, r.SP, r.DP, r.BytesOut, r.NumPktsOut})
		want = append(want, string(b))
	}
	res := query(t, node, []string{pqOut})[0]
	var got []string
	for _, r := range res.Rows {
		b, _ := json.Marshal([]any{r.SA, r.DA, r.SP, r.DP, r.BytesOut, r.NumPktsOut})
		got = append(got, string(b))
	}
	sort.Strings(want)
	sort.Strings(got)
	if res.Count != len(want) || !reflect.DeepEqual(got, want) {
		t.Errorf("DuckDB counts %d rows, the JSON output has %d records\nDuckDB %v\nJSON   %v", res.Count, len(want), got, want)
	}
	if len(want) < 40 {
		t.Errorf("only %d records: the captures should give about 50", len(want))
	}
}
