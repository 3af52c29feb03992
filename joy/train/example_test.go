package train_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/gojoy/libjoy/joy/classify"
	"github.com/gojoy/libjoy/joy/train"
)

// flow makes a two-sided example whose client sends n packets of size
// out and the server n of size in, 20 ms apart.
func flow(sp uint16, n int, out, in uint16) train.Example {
	start := int64(1_500_000_000_000_000)
	e := train.Example{SP: sp, DP: 22, In: &classify.Side{Start: start + 1000}, Group: fmt.Sprint(sp)}
	e.Out.Start = start
	for i := 0; i < n; i++ {
		t := start + int64(i)*40_000
		e.Out.Lens, e.Out.Times = append(e.Out.Lens, out), append(e.Out.Times, t+2000)
		e.In.Lens, e.In.Times = append(e.In.Lens, in), append(e.In.Times, t+22_000)
		e.Out.OB += uint64(out)
		e.In.OB += uint64(in)
	}
	e.Out.NP, e.In.NP = uint32(n), uint32(n)
	return e
}

// Train a model on examples, write its parameter file as "joy train"
// does, load it back with classify and score a new flow.
func ExampleTrain() {
	var attacks, normal []train.Example
	for i := 0; i < 20; i++ {
		attacks = append(attacks, flow(uint16(40000+i), 6+i%3, 64, 80))   // short, small, chatty
		normal = append(normal, flow(uint16(50000+i), 10+i%5, 100, 1400)) // bulk downloads
	}
	m, rep, err := train.Train(attacks, normal, train.Options{Groups: train.SPLTGroups, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	var params bytes.Buffer // or train.WriteParamFile("params.txt", m.SPLT[:])
	if err := train.WriteParams(&params, m.SPLT[:]); err != nil {
		log.Fatal(err)
	}
	deployed := classify.Default()
	if err := deployed.LoadSPLT(&params); err != nil {
		log.Fatal(err)
	}
	x := flow(41000, 7, 64, 80)
	fmt.Printf("cross-validated accuracy %.2f\n", rep.SPLT.CV.Accuracy)
	fmt.Println("new attack-like flow flagged:", deployed.Score(x.Out, x.In, x.SP, x.DP, false) > 0.5)
	// Output:
	// cross-validated accuracy 1.00
	// new attack-like flow flagged: true
}

// Rebuild the classifier's view of a flow from a Joy record.
func ExampleFromRecord() {
	rec := `{"sa":"192.168.1.2","da":"192.168.1.3","pr":6,"sp":49184,"dp":22,"bytes_out":813,"num_pkts_out":13,` +
		`"bytes_in":2043,"num_pkts_in":12,"time_start":1496350061.166754,"time_end":1496350061.260884,` +
		`"packets":[{"b":43,"dir":"<","ipt":4},{"b":21,"dir":">","ipt":0},{"b":1648,"dir":"<","ipt":1},` +
		`{"b":520,"dir":">","ipt":0},{"b":48,"dir":">","ipt":36},{"b":208,"dir":"<","ipt":3},{"b":16,"dir":">","ipt":2},` +
		`{"b":64,"dir":">","ipt":39},{"b":64,"dir":"<","ipt":0},{"b":80,"dir":">","ipt":0},{"b":80,"dir":"<","ipt":4},` +
		`{"b":64,"dir":">","ipt":0}],"p_malware":0.010008}`
	e, err := train.FromRecord([]byte(rec))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("out lengths:", e.Out.Lens, "in lengths:", e.In.Lens)
	fmt.Printf("p_malware %f\n", classify.Default().Score(e.Out, e.In, e.SP, e.DP, false))
	// Output:
	// out lengths: [21 520 48 16 64 80 64] in lengths: [43 1648 208 64 80]
	// p_malware 0.010008
}
