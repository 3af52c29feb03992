package ipfixit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/gojoy/libjoy/joy/ipfix"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// roundTripKeys are the keys of a one-sided JSON record that the IPFIX
// record carries, compared verbatim between joy's JSON and the collector's.
var roundTripKeys = []string{"sa", "da", "pr", "sp", "dp", "bytes_out", "num_pkts_out", "time_start", "time_end",
	"packets", "byte_dist", "idp_out", "idp_len_out"}

var collectorStatsRE = regexp.MustCompile(`IPFIX collector: (\d+) messages, (\d+) records, (\d+) undecodable, (\d+) records missing by sequence number \(receive buffer (\d+) bytes\)`)

var (
	tlsOnce sync.Once
	tlsOK   bool
	tlsWhy  string
)

// tlsSupported tells whether this joy accepts tls=1 (the TLS module).
func tlsSupported(t testing.TB, pcap string) bool {
	t.Helper()
	bin := needJoy(t)
	tlsOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "tls=1", pcap).CombinedOutput()
		tlsOK = err == nil && !bytes.Contains(out, []byte("not supported"))
		if !tlsOK {
			tlsWhy = strings.TrimSpace(string(out))
			if len(tlsWhy) > 200 {
				tlsWhy = tlsWhy[:200]
			}
		}
	})
	return tlsOK
}

// collect runs joy's collector (`joy ipfix_collect_port=P`), lets fn
// export to it, and returns the collected records and the collector's
// statistics (messages, records, undecodable, missing, receive buffer
// bytes). Once fn returned
// and the collector has read everything queued for its socket, SIGTERM
// stops it (a long ipfix_collect_idle is only a safety net).
//
// fn returns the records it expects to be collected (0: do not wait for
// them): the collector may have read a datagram off its socket and not yet
// printed its records, and SIGTERM stops its printing at once, so collect
// waits (at most 15 s) until that many lines are out.
func collect(t testing.TB, fn func(port int) (want int)) ([]map[string]any, [5]int) {
	t.Helper()
	bin := needJoy(t)
	port := freeUDPPort(t)
	p := start(t, 10*time.Minute, bin, "ipfix_collect_port="+strconv.Itoa(port), "ipfix_collect_idle=120")
	waitUDPBound(t, port, p.cmd, 10*time.Second, p.exited)
	want := fn(port)
	waitDrained(port, 30*time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && bytes.Count(p.stdout.Bytes(), []byte("\n")) < want {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	p.stop(t, syscall.SIGTERM, 30*time.Second)
	var st [5]int
	m := collectorStatsRE.FindStringSubmatch(p.stderr.String())
	if m == nil {
		t.Fatalf("collector: no statistics line; stderr:\n%s", p.stderr.String())
	}
	for i := range st {
		st[i], _ = strconv.Atoi(m[i+1])
	}
	return parseFlows(t, p.stdout.Bytes()), st
}

// canonical renders the keys of r (those present) as one JSON object with
// sorted keys.
func canonical(t testing.TB, r map[string]any, keys []string) string {
	t.Helper()
	sub := map[string]any{}
	for _, k := range keys {
		if v, ok := r[k]; ok {
			sub[k] = v
		}
	}
	b, err := json.Marshal(sub)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRoundTripOwnCollector exports every joy-*.pcap (and a few captures
// with IPv6 flows, for template 257) with dist=1 idp=1300 (and tls=1 when
// the TLS module is there) to joy's own collector, and checks that the
// collected records equal the JSON path's one-sided records.
func TestRoundTripOwnCollector(t *testing.T) {
	files := captures(t, true)
	opts := []string{"dist=1", "idp=1300"}
	shared := filepath.Dir(files[0])
	withTLS := tlsSupported(t, filepath.Join(shared, "joy-tls12.pcap"))
	if withTLS {
		opts = append(opts, "tls=1")
	} else {
		t.Logf("tls=1 not accepted by joy (%s): exporting without the TLS module", tlsWhy)
	}
	for _, pcap := range files {
		t.Run(filepath.Base(pcap), func(t *testing.T) {
			t.Parallel()
			var run exportRun
			export := func(port int) int {
				run = runExport(t, port, pcap, opts...)
				return run.records
			}
			got, st := collect(t, export)
			name := filepath.Base(pcap)
			if st[0] == 0 && run.messages > 0 {
				// Twice in CI (runs of many, once with goflow2 at the same
				// moment), a collector saw none of a small export's
				// datagrams, with nothing refused or logged. One more try
				// with a fresh collector; an export that is wrong fails both.
				t.Logf("%s: collector saw none of %d messages; trying once more", name, run.messages)
				got, st = collect(t, export)
			}
			if st[0] != run.messages || st[1] != run.records || st[2] != 0 || st[3] != 0 {
				t.Errorf("%s: collector saw %d messages, %d records, %d undecodable, %d missing; exporter sent %d messages, %d records",
					name, st[0], st[1], st[2], st[3], run.messages, run.records)
			}
			compareRecords(t, name, run.json, got)
			if withTLS {
				checkTLS(t, name, run.json, got)
			}
			v6 := 0
			for _, r := range got {
				if strings.Contains(fmt.Sprint(r["sa"]), ":") {
					v6++
				}
			}
			t.Logf("%s: %d records (%d IPv6) in %d messages collected", name, len(got), v6, st[0])
		})
	}
}

// checkTLS compares the collector's "tls" object (version, key_length, cs,
// sid, random, srlt) with the JSON record's client or server fields.
func checkTLS(t *testing.T, name string, want, got []map[string]any) {
	t.Helper()
	key := func(r map[string]any) string {
		return canonical(t, r, []string{"sa", "da", "sp", "dp", "pr", "time_start"})
	}
	byKey := map[string]map[string]any{}
	for _, r := range want {
		byKey[key(r)] = r
	}
	withTLS, noRole := 0, 0
	str := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for _, g := range got {
		w := byKey[key(g)]
		wt, jsonTLS := w["tls"].(map[string]any)
		gt, ok := g["tls"].(map[string]any)
		if e, bad := wt["error"]; jsonTLS && bad {
			// No ClientHello or ServerHello seen: JSON prints only the
			// error, and the exporter sends no TLS elements.
			noRole++
			if ok {
				t.Errorf("%s %s: JSON tls {\"error\":%q}, collected %s", name, key(g), e, str(gt))
			}
			continue
		}
		if !ok {
			if jsonTLS {
				t.Errorf("%s %s: JSON has tls %s, collector none", name, key(g), str(wt))
			}
			continue
		}
		withTLS++
		if !jsonTLS {
			t.Errorf("%s: collector has tls for %s, JSON has none", name, key(g))
			continue
		}
		either := func(field, a, b string) {
			gv, ok := gt[field]
			if !ok {
				return
			}
			if str(gv) != str(wt[a]) && str(gv) != str(wt[b]) {
				t.Errorf("%s %s: tls.%s %s, JSON %s=%s %s=%s", name, key(g), field, str(gv), a, str(wt[a]), b, str(wt[b]))
			}
		}
		either("version", "c_version", "s_version")
		either("key_length", "c_key_length", "s_key_length")
		either("random", "c_random", "s_random")
		either("sid", "c_sid", "s_sid")
		if cs, ok := gt["cs"]; ok {
			scs := []any{wt["scs"]}
			if str(cs) != str(wt["cs"]) && str(cs) != str(scs) {
				t.Errorf("%s %s: tls.cs %s, JSON cs=%s scs=%s", name, key(g), str(cs), str(wt["cs"]), str(wt["scs"]))
			}
		}
		if srlt, ok := gt["srlt"].([]any); ok {
			wl, _ := wt["srlt"].([]any)
			if len(wl) != len(srlt) {
				t.Errorf("%s %s: %d TLS records collected, %d in JSON", name, key(g), len(srlt), len(wl))
				continue
			}
			for i := range srlt {
				a, b := srlt[i].(map[string]any), wl[i].(map[string]any)
				if str(a["b"]) != str(b["b"]) || str(a["ipt"]) != str(b["ipt"]) {
					t.Errorf("%s %s: TLS record %d: collected %s, JSON %s", name, key(g), i, str(a), str(b))
				}
			}
		}
	}
	if withTLS+noRole > 0 {
		t.Logf("%s: %d collected records with TLS data equal to JSON's, %d without (JSON tls error \"no role\")",
			name, withTLS, noRole)
	}
}

// recordLimit is the largest data record the exporter puts in a message:
// the message size less the header and a set header (ipfix.Exporter.Add;
// a record that does not fit beside the templates follows them in the next
// message).
func recordLimit() int {
	return ipfix.DefaultMaxMessage - 16 - 4
}

// varLen is the encoded size of a variable-length field of n bytes.
func varLen(n int) int {
	if n < 255 {
		return n + 1
	}
	return n + 3
}

func hexLen(v any) int {
	s, _ := v.(string)
	return len(s) / 2
}

func arrLen(v any) int {
	a, _ := v.([]any)
	return len(a)
}

// encodedSize is the size of the data record the collector decoded into r
// (its JSON form), in template order.
func encodedSize(r map[string]any) int {
	// Addresses, ports, protocol, octets, packets, start and end in µs
	// and in ms.
	n := 4 + 4 + 2 + 2 + 1 + 8 + 8 + 8 + 8 + 8 + 8
	if strings.Contains(fmt.Sprint(r["sa"]), ":") {
		n += 24
	}
	n += varLen(hexLen(r["idp_out"]))
	n += 2 * varLen(2*arrLen(r["packets"]))
	n += varLen(arrLen(r["byte_dist"]))
	n += 1 + 2
	tls, _ := r["tls"].(map[string]any)
	n += varLen(2 * arrLen(tls["cs"]))
	n += varLen(hexLen(tls["sid"]))
	n += varLen(hexLen(tls["random"]))
	n += 2 * varLen(2*arrLen(tls["srlt"]))
	return n
}

// compareRecords pairs JSON and collected records by flow key and start
// time and compares roundTripKeys. A collected record may lack, in this
// order, the IDP, the byte distribution and the packet lengths and times
// when the whole record would not fit a message (the exporter trims such
// records); the test checks it was trimmed no more than needed.
func compareRecords(t *testing.T, name string, want, got []map[string]any) {
	t.Helper()
	id := []string{"sa", "da", "pr", "sp", "dp", "time_start"}
	byKey := map[string][]map[string]any{}
	for _, r := range want {
		k := canonical(t, r, id)
		byKey[k] = append(byKey[k], r)
	}
	limit := recordLimit()
	errs, trimmedIDP, trimmedBD, trimmedSPLT := 0, 0, 0, 0
	report := func(format string, args ...any) {
		errs++
		if errs <= 20 {
			t.Errorf(format, args...)
		}
	}
	for _, g := range got {
		k := canonical(t, g, id)
		ws := byKey[k]
		if len(ws) == 0 {
			report("%s: collected record %s is not in the JSON output", name, k)
			continue
		}
		w := ws[0]
		byKey[k] = ws[1:]
		var dropped []string
		for _, key := range roundTripKeys {
			a, b := canonical(t, w, []string{key}), canonical(t, g, []string{key})
			if a == b {
				continue
			}
			_, inG := g[key]
			switch {
			case key == "byte_dist" && !inG && allZero(w[key]):
				// A flow without payload: JSON prints 256 zeros, the
				// exporter sends an empty byte distribution.
			case (key == "idp_out" || key == "idp_len_out" || key == "byte_dist") && !inG:
				if key != "idp_len_out" {
					dropped = append(dropped, key)
				}
			case key == "packets" && arrLen(g[key]) == 0:
				dropped = append(dropped, key)
			default:
				report("%s %s: JSON %.300s, collector %.300s", name, k, a, b)
			}
		}
		if len(dropped) == 0 {
			continue
		}
		size := encodedSize(g)
		if size > limit {
			report("%s %s: trimmed record still has %d bytes, limit %d", name, k, size, limit)
		}
		last := dropped[len(dropped)-1]
		var back int
		switch last {
		case "idp_out":
			trimmedIDP++
			back = varLen(hexLen(w["idp_out"])) - 1
		case "byte_dist":
			trimmedBD++
			back = varLen(arrLen(w["byte_dist"])) - 1
		case "packets":
			trimmedSPLT++
			back = 2 * (varLen(2*arrLen(w["packets"])) - 1)
		}
		if size+back <= limit {
			report("%s %s: %v dropped, but the record fits with %s (%d+%d <= %d bytes)", name, k, dropped, last, size, back, limit)
		}
	}
	for k, ws := range byKey {
		for range ws {
			report("%s: JSON record %s not collected", name, k)
		}
	}
	if errs > 20 {
		t.Errorf("%s: ... %d differences in all", name, errs)
	}
	if trimmedIDP+trimmedBD+trimmedSPLT > 0 {
		t.Logf("%s: %d of %d records trimmed to fit %d bytes: %d without IDP, %d also without byte distribution, %d also without packet lengths/times",
			name, trimmedIDP+trimmedBD+trimmedSPLT, len(got), limit, trimmedIDP, trimmedBD, trimmedSPLT)
	}
}

func allZero(v any) bool {
	for _, x := range v.([]any) {
		if fmt.Sprint(x) != "0" {
			return false
		}
	}
	return true
}

// TestCollectorTwoExporters sends two joy runs, one after the other, to one
// collector, as when joy is restarted: both use observation domain 0 and
// start their sequence numbers at 0. The collector must count no missing
// records (and, before the fix, counted about 2^32).
func TestCollectorTwoExporters(t *testing.T) {
	files := captures(t, false)
	a, b := files[0], files[len(files)-1]
	var ra, rb exportRun
	got, st := collect(t, func(port int) int {
		ra = runExport(t, port, a)
		rb = runExport(t, port, b)
		return ra.records + rb.records
	})
	if st[1] != ra.records+rb.records || st[3] != 0 || st[2] != 0 {
		t.Errorf("collector: %d messages, %d records, %d undecodable, %d missing; exporters sent %d+%d records",
			st[0], st[1], st[2], st[3], ra.records, rb.records)
	}
	sameFlows(t, "two exporters", append(jsonFlows(t, ra.json), jsonFlows(t, rb.json)...), jsonFlows(t, got))
}
