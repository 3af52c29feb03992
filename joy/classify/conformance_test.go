package classify

// Conformance with the original: every "p_malware" of the 697dc5a reference
// outputs made with classify=1 (e_classify, x_all_features, e2_classify_model,
// e3_classify_bd_model) is recomputed from the capture and compared as
// printed ("%f"). The flow table is not used: the per-direction SPLT, packet
// and byte counters of each printed flow are rebuilt here from the packets
// of its 5-tuple inside its [time_start, time_end] window, following the
// original's per-packet rules (spec §2.4–2.6), and checked against the
// record's own bytes/num_pkts/packets before the score is compared.

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gojoy/libjoy/joy/decode"
	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

type tuple struct {
	sa, da [4]byte
	pr     uint8
	sp, dp uint16
}

type capPacket struct {
	key       tuple
	ts        int64
	payload   []byte // application payload (TCP/UDP/ICMP) or the IP payload
	transport []byte // whole transport area (the invalid path's payload)
	tcpOK     bool   // a TCP segment with a valid header
	seq       uint32
}

func readCapture(t *testing.T, path string) []capPacket {
	t.Helper()
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []capPacket
	decs := map[decode.LinkType]*decode.Decoder{}
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		d := decs[p.Link]
		if d == nil {
			d = decode.NewDecoder(p.Link)
			decs[p.Link] = d
		}
		var dp decode.Packet
		if d.Decode(p.Data, &dp) != nil || dp.Version != 4 {
			continue
		}
		tr := append([]byte(nil), dp.Transport...)
		c := capPacket{ts: p.TS, transport: tr, payload: tr}
		copy(c.key.sa[:], dp.Src[:4])
		copy(c.key.da[:], dp.Dst[:4])
		c.key.pr = dp.Proto
		switch c.key.pr {
		case 6:
			if len(tr) >= 20 {
				if hl := int(tr[12]>>4) * 4; hl >= 20 && hl <= len(tr) {
					c.tcpOK = true
					c.key.sp, c.key.dp = binary.BigEndian.Uint16(tr), binary.BigEndian.Uint16(tr[2:])
					c.seq = binary.BigEndian.Uint32(tr[4:])
					c.payload = tr[hl:]
				}
			}
		case 17:
			if len(tr) >= 8 {
				c.key.sp, c.key.dp = binary.BigEndian.Uint16(tr), binary.BigEndian.Uint16(tr[2:])
				c.payload = tr[8:]
			}
		case 1:
			if len(tr) >= 8 {
				c.payload = tr[8:]
			}
		}
		out = append(out, c)
	}
}

// direction accumulates one record the way the original does.
type direction struct {
	side   Side
	counts [256]uint32
	seq    uint32 // seq of the last segment that entered the SPLT
	seen   bool
}

func (d *direction) add(c *capPacket, zeros, retrans bool) {
	if !d.seen {
		d.seen, d.side.Start = true, c.ts
	}
	d.side.NP++
	p := c.payload
	tcp := c.tcpOK
	if tcp && len(p) > 0 && c.seq < d.seq && !retrans {
		tcp, p = false, c.transport // retransmission: the generic IP path
	}
	if (zeros || len(p) > 0) && len(d.side.Lens) < MaxPackets {
		d.side.Lens = append(d.side.Lens, uint16(len(p)))
		d.side.Times = append(d.side.Times, c.ts)
		if tcp {
			d.seq = c.seq
		}
	}
	d.side.OB += uint64(len(p))
	for _, b := range p {
		d.counts[b]++
	}
}

type refFlow struct {
	Sa, Da   string
	Pr       uint8
	Sp, Dp   uint16
	BytesOut uint64      `json:"bytes_out"`
	PktsOut  uint32      `json:"num_pkts_out"`
	BytesIn  *uint64     `json:"bytes_in"`
	PktsIn   *uint32     `json:"num_pkts_in"`
	Start    json.Number `json:"time_start"`
	End      json.Number `json:"time_end"`
	PMalware *float64    `json:"p_malware"`
	Packets  []struct {
		B   *int `json:"b"`
		Dir string
	} `json:"packets"`
}

func micros(n json.Number) int64 {
	s := string(n)
	i := strings.IndexByte(s, '.')
	sec, _ := strconv.ParseInt(s[:i], 10, 64)
	us, _ := strconv.ParseInt(s[i+1:], 10, 64)
	return sec*1_000_000 + us
}

func addr4(s string) (a [4]byte) {
	fmt.Sscanf(s, "%d.%d.%d.%d", &a[0], &a[1], &a[2], &a[3])
	return a
}

func TestConformance(t *testing.T) {
	shared := tu.NeedShared(t)
	ref := filepath.Join(shared, "ref", "697dc5a")
	data := filepath.Join(shared, "data")
	scaled := Default()
	if err := scaled.LoadFiles(filepath.Join(data, "logreg_scaled_splt.txt"), filepath.Join(data, "logreg_scaled_bd.txt")); err != nil {
		t.Fatal(err)
	}
	configs := []struct {
		dir                  string
		model                *Model
		dist, zeros, retrans bool
	}{
		{"e_classify", Default(), false, false, false},
		{"x_all_features", Default(), true, true, true},
		{"e2_classify_model", scaled, false, false, false},
		{"e3_classify_bd_model", scaled, true, false, false},
	}
	captures := map[string][]capPacket{}
	for _, cfg := range configs {
		t.Run(cfg.dir, func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join(ref, cfg.dir, "*.json"))
			if len(files) == 0 {
				t.Skipf("no reference outputs in %s", cfg.dir)
			}
			total, same := 0, 0
			for _, jf := range files {
				stem := strings.TrimSuffix(filepath.Base(jf), ".json")
				pkts, ok := captures[stem]
				if !ok {
					pkts = readCapture(t, filepath.Join(shared, "pcaps", "joy-"+stem+".pcap"))
					captures[stem] = pkts
				}
				fh, err := os.Open(jf)
				if err != nil {
					t.Fatal(err)
				}
				sc := bufio.NewScanner(fh)
				sc.Buffer(nil, 1<<26)
				for sc.Scan() {
					var fl refFlow
					dec := json.NewDecoder(strings.NewReader(sc.Text()))
					dec.UseNumber()
					if dec.Decode(&fl) != nil || fl.PMalware == nil {
						continue
					}
					total++
					from, to := micros(fl.Start), micros(fl.End)
					ko := tuple{addr4(fl.Sa), addr4(fl.Da), fl.Pr, fl.Sp, fl.Dp}
					ki := tuple{ko.da, ko.sa, ko.pr, ko.dp, ko.sp}
					var o, i direction
					for n := range pkts {
						c := &pkts[n]
						if c.ts < from || c.ts > to {
							continue
						}
						switch c.key {
						case ko:
							o.add(c, cfg.zeros, cfg.retrans)
						case ki:
							i.add(c, cfg.zeros, cfg.retrans)
						}
					}
					o.side.Counts = &o.counts
					var in *Side
					if fl.BytesIn != nil {
						i.side.Counts = &i.counts
						in = &i.side
					}
					name := fmt.Sprintf("%s %s:%d>%s:%d/%d@%s", stem, fl.Sa, fl.Sp, fl.Da, fl.Dp, fl.Pr, fl.Start)
					// The rebuilt record must be the printed one.
					var lo, li []int
					for _, e := range fl.Packets {
						if e.B == nil {
							continue
						}
						if in == nil || e.Dir == ">" {
							lo = append(lo, *e.B)
						} else {
							li = append(li, *e.B)
						}
					}
					if o.side.OB != fl.BytesOut || o.side.NP != fl.PktsOut || fmt.Sprint(lo) != fmt.Sprint(ints(o.side.Lens)) ||
						(in != nil && (i.side.OB != *fl.BytesIn || i.side.NP != *fl.PktsIn)) || fmt.Sprint(li) != fmt.Sprint(ints(i.side.Lens)) {
						t.Errorf("%s: rebuilt record differs from the reference record", name)
						continue
					}
					p := cfg.model.Score(o.side, in, fl.Sp, fl.Dp, cfg.dist)
					got := strconv.FormatFloat(float64(p), 'f', 6, 64)
					want := strconv.FormatFloat(*fl.PMalware, 'f', 6, 64)
					if got != want {
						t.Errorf("%s: p_malware %s, want %s", name, got, want)
						continue
					}
					same++
				}
				fh.Close()
			}
			t.Logf("%s: %d/%d p_malware values reproduced", cfg.dir, same, total)
		})
	}
}

func ints(v []uint16) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
