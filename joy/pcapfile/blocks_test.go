package pcapfile_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/gojoy/libjoy/joy/pcapfile"
	tu "github.com/gojoy/libjoy/tests/go/testutil"
)

// blockReading reads a capture with ReadInBlocks and checks the contract
// on the way: put gets the block before the current one, and every frame
// of a block keeps its bytes until the block is put (a put block is then
// overwritten, as a reused one would be).
type blockReading struct {
	t         *testing.T
	cur, prev []byte
	frames    map[*byte][][2][]byte // block -> (frame, its copy)
	gets      int
}

func (b *blockReading) get(min int) []byte {
	buf := make([]byte, min+7) // more than asked for: the reader uses it all
	b.prev, b.cur = b.cur, buf
	b.gets++
	return buf[:3] // the length is to be ignored
}

func (b *blockReading) put(prev []byte) {
	if b.prev == nil || &prev[:1][0] != &b.prev[:1][0] {
		b.t.Fatalf("put with another block than the previous one")
	}
	b.check(prev)
	for i := range prev[:cap(prev)] {
		prev[:cap(prev)][i] = 0xee
	}
	b.prev = nil
}

func (b *blockReading) check(blk []byte) {
	key := &blk[:1][0]
	for _, f := range b.frames[key] {
		if !bytes.Equal(f[0], f[1]) {
			b.t.Fatalf("a frame changed before its block was put")
		}
	}
	delete(b.frames, key)
}

func (b *blockReading) add(p pcapfile.Packet, off int) {
	if len(p.Data) > 0 && &p.Data[0] != &b.cur[:off+1][off] {
		b.t.Fatalf("BlockOffset %d is not where the frame is", off)
	}
	key := &b.cur[:1][0]
	b.frames[key] = append(b.frames[key], [2][]byte{p.Data, append([]byte(nil), p.Data...)})
}

type readResult struct {
	pkts []pcapfile.Packet
	err  error
}

func readStream(t *testing.T, data []byte) readResult {
	t.Helper()
	r, err := pcapfile.NewReader(bytes.NewReader(data))
	if err != nil {
		return readResult{err: err}
	}
	var res readResult
	for {
		p, err := r.Next()
		if err != nil {
			res.err = err
			return res
		}
		p.Data = append([]byte(nil), p.Data...)
		res.pkts = append(res.pkts, p)
	}
}

func readBlocks(t *testing.T, src io.Reader, size int) (readResult, int) {
	t.Helper()
	r, err := pcapfile.NewReader(src)
	if err != nil {
		return readResult{err: err}, 0
	}
	b := &blockReading{t: t, frames: map[*byte][][2][]byte{}}
	if !r.ReadInBlocks(size, b.get, b.put) {
		t.Fatalf("ReadInBlocks refused a classic pcap capture")
	}
	var res readResult
	for {
		p, err := r.Next()
		if err != nil {
			res.err = err
			break
		}
		b.add(p, r.BlockOffset())
		c := p
		c.Data = append([]byte(nil), p.Data...)
		res.pkts = append(res.pkts, c)
	}
	if b.cur != nil {
		b.check(b.cur)
	}
	if p, err := r.Next(); err == nil || err.Error() != res.err.Error() {
		t.Fatalf("Next after the end: %v, %v (first: %v)", p, err, res.err)
	}
	return res, b.gets
}

func sameResult(a, b readResult) string {
	if len(a.pkts) != len(b.pkts) {
		return "packet counts differ"
	}
	for i := range a.pkts {
		p, q := a.pkts[i], b.pkts[i]
		if p.TS != q.TS || p.Length != q.Length || p.Link != q.Link || !bytes.Equal(p.Data, q.Data) {
			return "packets differ"
		}
	}
	if (a.err == nil) != (b.err == nil) || a.err != nil && a.err.Error() != b.err.Error() {
		return "errors differ: " + a.err.Error() + " / " + b.err.Error()
	}
	return ""
}

// The same packets, and the same error at the end, read in blocks as read
// as a stream: every block size down to one smaller than a record, and a
// source that hands out one byte or half of what is asked at a time (a
// pipe).
func checkBlocksEqualStream(t *testing.T, name string, data []byte, sizes []int) {
	want := readStream(t, data)
	for _, size := range sizes {
		for _, src := range []struct {
			name string
			r    io.Reader
		}{
			{"file", bytes.NewReader(data)},
			{"half", iotest.HalfReader(bytes.NewReader(data))},
			{"EOF with data", iotest.DataErrReader(bytes.NewReader(data))},
			{"byte", iotest.OneByteReader(bytes.NewReader(data))},
		} {
			if src.name == "byte" && len(data) > 1<<16 {
				continue
			}
			got, _ := readBlocks(t, src.r, size)
			if d := sameResult(want, got); d != "" {
				t.Errorf("%s, blocks of %d, %s reads: %s (%d packets, %v; stream %d packets, %v)",
					name, size, src.name, d, len(got.pkts), got.err, len(want.pkts), want.err)
			}
		}
	}
}

func TestBlocksEqualStream(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	recs := [][]byte{record(le, 1, 2, pkts[0].data, 0), record(le, 3, 4, nil, 60), record(le, 5, 6, pkts[3].data, 0)}
	good := classic(le, 0xa1b2c3d4, 1, recs...)
	cases := map[string][]byte{
		"three records":   good,
		"header only":     good[:24],
		"cut header":      append(append([]byte(nil), good...), 1, 2, 3, 4, 5),
		"cut data":        good[:len(good)-1],
		"nanos, big end":  classic(be, 0xa1b23c4d, 101, record(be, 7, 999999999, pkts[1].data, 1500)),
		"huge caplen":     classic(le, 0xa1b2c3d4, 1, record(le, 1, 0, nil, 0)[:8], le.AppendUint32(nil, 0x7fffffff), le.AppendUint32(nil, 60)),
		"1 MiB record":    classic(le, 0xa1b2c3d4, 1, record(le, 1, 0, make([]byte, 1<<20), 0), recs[0]),
		"too long record": classic(le, 0xa1b2c3d4, 1, record(le, 1, 0, make([]byte, 1<<20+1), 0)),
	}
	for name, data := range cases {
		checkBlocksEqualStream(t, name, data, []int{0, 40, 100, 3000, 1 << 16})
	}
	// Pcapng is not read in blocks.
	var ng bytes.Buffer
	w, _ := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	w.WritePacket(ci(pkts[0]), pkts[0].data)
	w.Flush()
	r, err := pcapfile.NewReader(bytes.NewReader(ng.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r.ReadInBlocks(1<<16, nil, nil) {
		t.Errorf("pcapng read in blocks")
	}
	if p, err := r.Next(); err != nil || !bytes.Equal(p.Data, pkts[0].data) {
		t.Errorf("pcapng after ReadInBlocks: %v", err)
	}
}

// Every classic capture of the corpus reads the same in blocks.
func TestBlocksEqualStreamCorpus(t *testing.T) {
	shared := tu.NeedShared(t)
	files, _ := filepath.Glob(filepath.Join(shared, "pcaps", "*.pcap"))
	n := 0
	for _, f := range files {
		if testing.Short() && n >= 20 {
			break
		}
		data, err := os.ReadFile(f)
		if err != nil || len(data) > 64<<20 || strings.Contains(f, "pcapng") {
			continue
		}
		if r, err := pcapfile.NewReader(bytes.NewReader(data)); err != nil || r.IsPcapng() {
			continue
		}
		checkBlocksEqualStream(t, filepath.Base(f), data, []int{1000, 1 << 18})
		n++
	}
	if n == 0 {
		t.Fatal("no classic capture in the corpus")
	}
	t.Logf("%d captures compared", n)
}

// A file is read in blocks of the size asked for, a read each: a 1 MB
// capture in blocks of 256 KiB takes four or five blocks.
func TestBlocksAreFilled(t *testing.T) {
	le := binary.LittleEndian
	var recs [][]byte
	for i := 0; i < 1000; i++ {
		recs = append(recs, record(le, uint32(i), 0, bytes.Repeat([]byte{byte(i)}, 1000), 0))
	}
	data := classic(le, 0xa1b2c3d4, 1, recs...)
	res, gets := readBlocks(t, bytes.NewReader(data), 256<<10)
	if len(res.pkts) != 1000 || res.err != io.EOF {
		t.Fatalf("%d packets, %v", len(res.pkts), res.err)
	}
	if gets < 4 || gets > 6 {
		t.Errorf("%d blocks of 256 KiB for %d bytes", gets, len(data))
	}
}
